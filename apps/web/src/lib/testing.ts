import type { ApiFace } from './types';

let n = 0;

/** A recognized face for specs; unique face id unless given. */
export function makeFace(over: Partial<ApiFace> = {}): ApiFace {
  n += 1;
  const hex = n.toString(16).padStart(12, '0');
  return {
    faceId: `00000000-0000-4000-8000-${hex}`,
    box: { x: 10, y: 20, width: 30, height: 40 },
    personId: 'p1',
    personNumber: 1,
    personName: null,
    isNew: false,
    distance: 0.3,
    similarity: 97,
    cropUrl: `/api/v1/faces/00000000-0000-4000-8000-${hex}/crop`,
    ...over,
  };
}
