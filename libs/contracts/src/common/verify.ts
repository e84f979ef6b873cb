import { z } from 'zod';
import { DEFAULT_THRESHOLD, euclidean, similarity } from './similarity';

export const verifyResultSchema = z.strictObject({
  /** Euclidean distance between the two encodings. */
  distance: z.number().nonnegative(),
  /** distance < threshold. */
  same: z.boolean(),
  similarity: z.number().int().min(0).max(100),
  threshold: z.number().positive(),
});
export type VerifyResult = z.infer<typeof verifyResultSchema>;

/** 1:1 verification of two encodings (e.g. two FrameEncode faces): no stored data is involved. */
export function verify(a: readonly number[], b: readonly number[], threshold = DEFAULT_THRESHOLD): VerifyResult {
  const distance = euclidean(a, b);
  return { distance, same: distance < threshold, similarity: similarity(distance, threshold), threshold };
}
