export interface UntilOptions {
  /** Give up after this many milliseconds (default 15 000). */
  timeoutMs?: number;
  /** Poll this often, in milliseconds (default 50). */
  everyMs?: number;
  /**
   * Treat a probe that throws, or that takes longer than `probeTimeoutMs`, as "not yet" (e.g. while a
   * NATS cluster elects leaders); by default an error thrown by the probe fails at once.
   */
  retryErrors?: boolean;
  probeTimeoutMs?: number;
}

/**
 * Polls `probe` until it returns something truthy, and returns that; throws `timed out waiting for
 * <what>` after the timeout. For conditions with no event to wait on (a file appearing, an HTTP
 * endpoint turning healthy); where there is one, wait on it (or on a NATS `flush()`) instead.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: UntilOptions | number = {},
): Promise<T> {
  const opts = typeof options === 'number' ? { timeoutMs: options } : options;
  const { timeoutMs = 15_000, everyMs = 50, retryErrors = false, probeTimeoutMs } = opts;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await (probeTimeoutMs ? withTimeout(probe(), probeTimeoutMs) : probe());
      if (value) return value;
    } catch (err) {
      if (!retryErrors) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const last = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`, { cause: lastError });
    }
    await sleep(everyMs);
  }
}

function withTimeout<T>(value: T | Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`probe took over ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(value), expired]).finally(() => clearTimeout(timer));
}

/** Only for time that is the behaviour under test (a lease expiring, a quiet period, a throttle). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
