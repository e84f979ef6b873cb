/** First pause before reconnecting a camera whose stream failed (ms). */
export const BACKOFF_MIN_MS = 1_000;

/** Capped exponential backoff: 1 s, 2 s, 4 s … up to `maxMs`, for the n-th attempt (1-based). */
export function backoffMs(attempt: number, maxMs: number): number {
  const n = Math.max(1, Math.floor(attempt));
  return Math.min(maxMs, BACKOFF_MIN_MS * 2 ** Math.min(n - 1, 30));
}
