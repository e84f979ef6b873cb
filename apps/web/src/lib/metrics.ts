/**
 * Live figures for the status line: snapshots processed per second over a sliding window, and the
 * end-to-end latency (now − the frame's capture time) smoothed with an exponential moving average.
 */

export const DEFAULT_WINDOW_MS = 10_000;

interface Sample {
  t: number;
  value: number;
}

/**
 * Snapshots per second. Recognition messages only arrive for frames with faces, so the stream's
 * `framesProcessed` counter (sent every ~2 s) is the better source once two samples span a second;
 * until then the rate of distinct result frames is used.
 */
export class SnapshotRate {
  private readonly counters: Sample[] = [];
  private readonly results: Sample[] = [];
  private lastSeq = -1;

  constructor(private readonly windowMs = DEFAULT_WINDOW_MS) {}

  /** A recognition result for frame `seq`, received at `now` (ms). */
  onResult(seq: number, now: number): void {
    if (seq === this.lastSeq) return; // several messages for one frame count once
    this.lastSeq = seq;
    this.results.push({ t: now, value: seq });
    this.trim(this.results, now);
  }

  /** The stream's processed counter, received at `now` (ms). A counter that goes back resets. */
  onCounter(framesProcessed: number, now: number): void {
    const last = this.counters[this.counters.length - 1];
    if (last && framesProcessed < last.value) this.counters.length = 0;
    this.counters.push({ t: now, value: framesProcessed });
    this.trim(this.counters, now);
  }

  /** Per second, or null while there is not enough data. */
  rate(now: number): number | null {
    this.trim(this.counters, now);
    this.trim(this.results, now);
    if (this.counters.length >= 2) {
      const first = this.counters[0];
      const last = this.counters[this.counters.length - 1];
      const span = last.t - first.t;
      if (span >= 1000) return ((last.value - first.value) * 1000) / span;
    }
    if (this.results.length >= 2) {
      const first = this.results[0];
      const span = Math.max(now - first.t, 1000);
      return ((this.results.length - 1) * 1000) / span;
    }
    return null;
  }

  reset(): void {
    this.counters.length = 0;
    this.results.length = 0;
    this.lastSeq = -1;
  }

  private trim(samples: Sample[], now: number): void {
    while (samples.length > 0 && now - samples[0].t > this.windowMs) samples.shift();
  }
}

/** Exponential moving average of latency in ms; forgets itself after `staleMs` without samples. */
export class LatencyMeter {
  private value: number | null = null;
  private lastAt = 0;

  constructor(
    private readonly alpha = 0.3,
    private readonly staleMs = 10_000,
  ) {}

  /** Adds the latency of a result whose frame was captured at `capturedAt` (ISO), received at `now`. */
  onResult(capturedAt: string, now: number): void {
    const t = Date.parse(capturedAt);
    if (!Number.isFinite(t)) return;
    // clocks of the browser and the server may differ a little: never show a negative latency
    const sample = Math.max(0, now - t);
    this.value = this.value == null ? sample : this.value + this.alpha * (sample - this.value);
    this.lastAt = now;
  }

  latest(now: number): number | null {
    if (this.value == null || now - this.lastAt > this.staleMs) return null;
    return this.value;
  }

  reset(): void {
    this.value = null;
    this.lastAt = 0;
  }
}
