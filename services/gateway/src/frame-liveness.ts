import type { RecognizerHeartbeat } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';

/** Heartbeats a listener may miss before calling a frame lost. */
const MISSED_BEATS = 3;
/** Without a heartbeat from any instance for this long (ms), recognizers are taken not to send them (older builds). */
const HEARTBEATS_KNOWN_MS = 10_000;
const TICK_MS = 100;

/** The recognizer instance holding a frame went silent: it died (or was cut off) before answering. */
export class FrameLostError extends GlimpseError {
  override readonly name = 'FrameLostError';
  constructor(
    readonly frameId: string,
    readonly holder: string | undefined,
    silentMs: number,
  ) {
    super(
      'SERVICE_UNAVAILABLE',
      holder
        ? `the recognizer service is not running (instance ${holder} stopped answering while it held the frame, silent for ${silentMs} ms)`
        : `the recognizer service is not running (no instance acknowledged the frame within ${silentMs} ms)`,
    );
  }
}

/** One sent frame being watched; `lost` settles only when the frame is lost. */
export interface FrameWatch {
  readonly lost: Promise<FrameLostError>;
  stop(): void;
}

interface Watched {
  since: number;
  lastSeen: number;
  holder?: string;
  silenceMs: number;
  resolve: (e: FrameLostError) => void;
}

/**
 * Follows recognizer heartbeats for the frames this gateway is waiting on, and says when one is lost: not
 * listed by any instance for `silenceMs` (or for MISSED_BEATS of its holder's intervals, if longer) since it
 * was sent or last listed. Only frames being watched are looked at; the heartbeat of an idle cluster is cheap.
 */
export class FrameLiveness {
  private readonly watched = new Map<string, Watched>();
  private lastHeartbeat = -Infinity;
  private ticker?: NodeJS.Timeout;

  constructor(
    private readonly silenceMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called with every heartbeat heard. */
  heard(beat: RecognizerHeartbeat.Payload): void {
    const t = this.now();
    this.lastHeartbeat = t;
    if (this.watched.size === 0) return;
    for (const id of beat.frames) {
      const w = this.watched.get(id);
      if (!w) continue;
      w.lastSeen = t;
      w.holder = beat.instanceId;
      w.silenceMs = Math.max(this.silenceMs, MISSED_BEATS * beat.intervalMs);
    }
  }

  /** Starts watching `frameId` (sent now); stop the watch once the request is over. */
  watch(frameId: string): FrameWatch {
    let resolve!: (e: FrameLostError) => void;
    const lost = new Promise<FrameLostError>((r) => (resolve = r));
    const t = this.now();
    const w: Watched = { since: t, lastSeen: t, silenceMs: this.silenceMs, resolve };
    this.watched.set(frameId, w);
    this.startTicking();
    return {
      lost,
      stop: () => {
        if (this.watched.get(frameId) === w) this.watched.delete(frameId);
        if (this.watched.size === 0) this.stopTicking();
      },
    };
  }

  /** Calls lost every watched frame that has been silent too long; run by a timer while frames are watched. */
  check(): void {
    const t = this.now();
    // A recognizer that never beats (an older build) must not get every frame called lost.
    if (t - this.lastHeartbeat > HEARTBEATS_KNOWN_MS) return;
    for (const [id, w] of this.watched) {
      const silent = t - w.lastSeen;
      if (silent <= w.silenceMs) continue;
      this.watched.delete(id);
      w.resolve(new FrameLostError(id, w.holder, silent));
    }
    if (this.watched.size === 0) this.stopTicking();
  }

  /** Frames being watched now. */
  get size(): number {
    return this.watched.size;
  }

  close(): void {
    this.stopTicking();
  }

  private startTicking(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => this.check(), TICK_MS);
    this.ticker.unref();
  }

  private stopTicking(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }
}
