/** What a limiter says about one request. */
export interface LimitDecision {
  ok: boolean;
  /** Whole seconds until one more request would be allowed (0 when ok). */
  retryAfterS: number;
}

export interface TokenBucketOptions {
  /** Requests allowed per minute, steady state; also the burst (a full bucket). 0 disables the limit. */
  perMinute: number;
  /** Most clients tracked at once; beyond it the least recently seen are forgotten (they start full again). */
  maxKeys: number;
}

/** An empty bucket is full again after one minute, so one untouched that long can be forgotten. */
const REFILL_MS = 60_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * In-memory token buckets, one per key (client IP, API key id). Memory is bounded: a bucket that
 * has refilled is the same as none, so idle ones are dropped, and at most `maxKeys` are kept
 * (least recently used go first). Per process: N gateways allow N times the rate in total.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private lastSweep = 0;

  constructor(private readonly opts: TokenBucketOptions) {
    this.perMs = opts.perMinute / 60_000;
  }

  get enabled(): boolean {
    return this.opts.perMinute > 0;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes `cost` tokens from `key`'s bucket when it has them. */
  take(key: string, now = Date.now(), cost = 1): LimitDecision {
    if (!this.enabled) return { ok: true, retryAfterS: 0 };
    const cap = this.opts.perMinute;
    const b = this.buckets.get(key);
    const tokens = b ? Math.min(cap, b.tokens + (now - b.at) * this.perMs) : cap;
    this.buckets.delete(key); // re-inserted below: Map order is then least recently used first
    const ok = tokens >= cost;
    this.buckets.set(key, { tokens: ok ? tokens - cost : tokens, at: now });
    this.evict(now);
    return ok
      ? { ok, retryAfterS: 0 }
      : { ok, retryAfterS: Math.max(1, Math.ceil((cost - tokens) / this.perMs / 1000)) };
  }

  /** Whether `key` could take a token now, without taking it. */
  peek(key: string, now = Date.now()): LimitDecision {
    if (!this.enabled) return { ok: true, retryAfterS: 0 };
    const b = this.buckets.get(key);
    const tokens = b ? Math.min(this.opts.perMinute, b.tokens + (now - b.at) * this.perMs) : this.opts.perMinute;
    return tokens >= 1
      ? { ok: true, retryAfterS: 0 }
      : { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000)) };
  }

  private evict(now: number): void {
    while (this.buckets.size > this.opts.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    if (now - this.lastSweep < REFILL_MS) return;
    this.lastSweep = now;
    // Map order is least recently used first: stop at the first bucket that may not be full yet
    for (const [k, b] of this.buckets) {
      if (now - b.at < REFILL_MS) break;
      this.buckets.delete(k);
    }
  }
}
