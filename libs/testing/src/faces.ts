import type { Box, RecognizedFace } from '@glimpse/contracts';

/** A recognized face that is nobody's: no stored face, no person, no distance; `over` sets the rest (decision, isNew). */
export function faceOfNobody(box: Box, over: Partial<RecognizedFace> = {}): RecognizedFace {
  return {
    faceId: null,
    box,
    personId: null,
    personNumber: null,
    personName: null,
    isNew: false,
    distance: null,
    similarity: null,
    ...over,
  };
}
