import { GlimpseError } from './errors';

/** How an operation is retried after a failure; see `withRetries`. */
export interface RetryPolicy {
  /** Pause before each retry (ms); its length is how many retries there may be. */
  delaysMs: readonly number[];
  /** Epoch ms: no attempt starts after it, and each attempt gets at most the time left until it. */
  deadline: number;
  /** Longest single attempt (ms), so a reply that will never come (a killed responder) leaves time to retry. */
  attemptMs: number;
  /** An attempt shorter than this (ms) is not worth starting. Default 250. */
  minAttemptMs?: number;
  /** Which failures may be retried; default: the transient ones (timeouts, unavailable services). */
  retryable?: (err: GlimpseError) => boolean;
  /** Hears of each retry before its pause, with the failure that caused it. */
  onRetry?: (err: GlimpseError, retry: number, delayMs: number) => void;
}

export interface RetryDeps {
  sleep(ms: number): Promise<void>;
  now(): number;
}

const realDeps: RetryDeps = { sleep: (ms) => new Promise((r) => setTimeout(r, ms)), now: () => Date.now() };

/**
 * Runs `attempt(timeoutMs)` until it succeeds, fails for good, runs out of retries, or the deadline leaves
 * too little time for another try; then throws the last failure. Only transport failures, timeouts and
 * unavailable dependencies are retried (a 4xx never is). The caller makes a retry harmless (a frame id).
 */
export async function withRetries<T>(
  attempt: (timeoutMs: number) => Promise<T>,
  policy: RetryPolicy,
  deps: RetryDeps = realDeps,
): Promise<T> {
  const minMs = policy.minAttemptMs ?? 250;
  const retryable = policy.retryable ?? ((e: GlimpseError) => e.transient);
  for (let retry = 0; ; retry++) {
    const left = policy.deadline - deps.now();
    try {
      return await attempt(Math.max(1, Math.min(policy.attemptMs, left)));
    } catch (err) {
      const ge = GlimpseError.from(err);
      const delay = policy.delaysMs[retry];
      const nextLeft = policy.deadline - deps.now() - (delay ?? 0);
      if (delay === undefined || !retryable(ge) || nextLeft < minMs) throw err;
      policy.onRetry?.(ge, retry + 1, delay);
      await deps.sleep(delay);
    }
  }
}
