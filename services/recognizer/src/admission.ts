import { GlimpseError } from '@glimpse/platform';

/** Why a frame was not worked on: the queue was full, or its requester stopped waiting first. */
export type ShedReason = 'queue_full' | 'expired';

/** A frame refused or dropped without being worked on; `reason` feeds the shed counter. */
export class ShedError extends GlimpseError {
  override readonly name = 'ShedError';
  constructor(
    readonly reason: ShedReason,
    message: string,
  ) {
    super(reason === 'queue_full' ? 'OVERLOADED' : 'TIMEOUT', message);
  }
}

interface Waiter {
  resolve: () => void;
  reject: (err: ShedError) => void;
  timer?: NodeJS.Timeout;
}

/**
 * Admission control for one recognizer: `slots` frames run at once, at most `maxQueue` wait (in
 * arrival order), and the rest are refused at once, so overload sheds frames instead of building a
 * queue that grows without limit. A waiting frame whose requester's deadline passes leaves the
 * queue at once: nobody would read its answer.
 */
export class Admission {
  private active = 0;
  private readonly waiters: Waiter[] = [];
  private peak = 0;

  constructor(
    readonly slots: number,
    readonly maxQueue: number,
    private readonly now: () => number = Date.now,
  ) {
    if (slots < 1) throw new RangeError('admission needs at least one slot');
    if (maxQueue < 0) throw new RangeError('maxQueue must not be negative');
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** The longest the queue has been since start (never above maxQueue). */
  get peakQueued(): number {
    return this.peak;
  }

  /** Resolves holding a slot (give it back with `release`); rejects with ShedError when shed. */
  acquire(deadline?: number): Promise<void> {
    const left = deadline === undefined ? Infinity : deadline - this.now();
    if (left <= 0)
      return Promise.reject(new ShedError('expired', 'the requester stopped waiting before the frame was taken'));
    if (this.active < this.slots) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiters.length >= this.maxQueue) {
      return Promise.reject(
        new ShedError(
          'queue_full',
          `recognizer busy: ${this.active} frames in progress and ${this.waiters.length} waiting; retry later`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject };
      if (left !== Infinity) w.timer = setTimeout(() => this.expire(w), left);
      this.waiters.push(w);
      this.peak = Math.max(this.peak, this.waiters.length);
    });
  }

  /** Hands the slot to the next waiter, or frees it. */
  release(): void {
    const next = this.waiters.shift();
    if (!next) {
      if (this.active > 0) this.active--;
      return;
    }
    clearTimeout(next.timer);
    next.resolve();
  }

  private expire(w: Waiter): void {
    const at = this.waiters.indexOf(w);
    if (at < 0) return;
    this.waiters.splice(at, 1);
    w.reject(new ShedError('expired', 'the requester stopped waiting while the frame was queued'));
  }
}
