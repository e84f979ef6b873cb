import type { Box, FaceQuality } from '@glimpse/contracts';

/** Sharpness (variance of the Laplacian) from which a crop counts as fully sharp. */
export const SHARP_ENOUGH = 100;

/**
 * How good a face crop is for showing: its area, discounted when it is blurred. A crop at least
 * SHARP_ENOUGH counts fully, a blurrier one in proportion, so a big blurred face loses to a sharp one
 * of similar size, and without quality (an older recognizer) the larger box wins.
 */
export function cropScore(box: Box, quality?: FaceQuality): number {
  const area = box.width * box.height;
  if (!quality) return area;
  return area * Math.min(1, quality.sharpness / SHARP_ENOUGH);
}
