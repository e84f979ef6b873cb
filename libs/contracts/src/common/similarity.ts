export const DEFAULT_THRESHOLD = 0.6;

/**
 * The origin's "accuracy as a percentage" curve (face_recognition wiki): linear below the midpoint,
 * boosted by a 0.2 power above it, so a match at the threshold scores 50%.
 * `(linear - 0.5) * 2` is negative past the threshold; a fractional power of a negative number is NaN,
 * so that side falls back to the plain linear score, which is what the curve intends.
 */
export function similarity(distance: number, threshold = DEFAULT_THRESHOLD): number {
  if (!Number.isFinite(distance) || distance < 0) throw new RangeError(`invalid distance ${distance}`);
  if (!(threshold > 0)) throw new RangeError(`invalid threshold ${threshold}`);
  const linear = 1 - distance / (2 * threshold);
  const score = linear < 0.5 ? linear : linear + (1 - linear) * Math.pow((linear - 0.5) * 2, 0.2);
  return Math.round(Math.min(1, Math.max(0, score)) * 100);
}

export function euclidean(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`length mismatch ${a.length} != ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    sum += d * d;
  }
  return Math.sqrt(sum);
}
