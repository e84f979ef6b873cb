import type { Box, RecognizedFace } from '@glimpse/contracts';

export interface ApiFace extends RecognizedFace {
  cropUrl: string | null;
}

export const cropUrl = (faceId: string | null | undefined): string | null =>
  faceId ? `/api/v1/faces/${faceId}/crop` : null;

/** The face as clients see it; `box` may be replaced by one mapped back to the uploaded picture. */
export function toApiFace(f: RecognizedFace, box: Box = f.box): ApiFace {
  return {
    faceId: f.faceId,
    box,
    personId: f.personId,
    personNumber: f.personNumber,
    personName: f.personName,
    isNew: f.isNew,
    distance: f.distance,
    similarity: f.similarity,
    cropUrl: cropUrl(f.faceId),
    // how the matcher decided, and its guess when unsure (absent from replies recorded before decisions)
    ...(f.decision ? { decision: f.decision } : {}),
    ...(f.guess !== undefined ? { guess: f.guess } : {}),
    // stream faces: the sighting they count in, so a live view keeps one card per sighting
    ...(f.sightingId ? { sightingId: f.sightingId } : {}),
  };
}
