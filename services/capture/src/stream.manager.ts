import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  FrameRecognize,
  StreamStart,
  StreamStatus,
  type Stream,
  type StreamSnapshot,
  type StreamState,
} from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus, withRetries } from '@glimpse/platform';
import { CAPTURE_CONFIG, type CaptureConfig } from './config';
import {
  FRAME_SOURCES,
  type FrameSink,
  type FrameSource,
  type FrameSourceFactory,
  type LazyFrame,
} from './frame-source';
import { readJpegSize, type JpegSize } from './jpeg';
import { parseSourceUrl, redactUrl } from './source-url';

const WARN_EVERY_MS = 10_000;
/** NATS counts headers against max_payload too; ours are well under this. */
const HEADER_ALLOWANCE = 1024;
/**
 * A frame that failed for a transient reason (no recognizer, one killed while it had the frame, a
 * worker down) is sent again after these pauses, with the same frame id so the matcher stores it once.
 */
export const FRAME_RETRY_DELAYS_MS = [250, 1000];

interface Entry {
  stream: Stream;
  source?: FrameSource;
  /** Sent as `Glimpse-Threshold` with every frame; the matcher's default when unset. */
  threshold?: number;
  /** The one frame of this stream being recognized; while set, new frames are skipped. */
  inFlight?: Promise<void>;
  /** Resolves when the source has let go of its process. */
  released?: Promise<void>;
  stall?: NodeJS.Timeout;
  ticker?: NodeJS.Timeout;
  size?: JpegSize;
  /** The last frame sent to recognition, for a live view (StreamSnapshot). */
  last?: { jpeg: Buffer; seq: number; capturedAt: number; size: JpegSize };
  warn: RateLimitedWarn;
}

/** Metrics hook (CaptureMetrics): hears of each frame sent to the recognizer and of its round trip. */
export interface FrameObserver {
  sent(): void;
  done(seconds: number, processed: boolean): void;
}

const isActive = (e: Entry) => e.stream.state === 'starting' || e.stream.state === 'running';

/** A source negotiated elsewhere (a WebRTC peer) and run like any other stream. */
export interface AttachOptions {
  /** The stream id, chosen by the caller (a live session's `streamId`). */
  id: string;
  /** What clients see as the stream's `url`, e.g. `webrtc:whip`. */
  url: string;
  fps: number;
  threshold?: number;
}

/**
 * Owns this instance's streams: starts their sources, sends each frame to FrameRecognize
 * (one at a time per stream, skipping frames that arrive meanwhile, so a slow recognizer
 * lowers the effective rate instead of building a queue), counts, and reports status.
 */
@Injectable()
export class StreamManager {
  private readonly log = new Logger(StreamManager.name);
  private readonly entries = new Map<string, Entry>();
  private readonly finished: string[] = [];
  private readonly pending = new Set<Promise<void>>();
  private closing = false;
  /** Counters of streams no longer listed, so that frameTotals() never goes down. */
  private readonly retired: Record<string, number> = {};
  observer?: FrameObserver;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(CAPTURE_CONFIG) private readonly cfg: CaptureConfig,
    @Inject(FRAME_SOURCES) private readonly sources: FrameSourceFactory,
  ) {}

  async start(req: StreamStart.Request): Promise<Stream> {
    this.ensureCapacity();
    const spec = await parseSourceUrl(req.url, req.loop ?? false);
    this.ensureCapacity(); // again: other starts may have run while the file was checked
    const fps = req.fps ?? this.cfg.SNAPSHOT_FPS;
    const entry = this.newEntry(`s_${randomBytes(8).toString('base64url').slice(0, 10)}`, redactUrl(req.url), fps);
    const source = this.sources.create(spec, { fps, maxWidth: this.cfg.MAX_FRAME_WIDTH });
    return this.launch(entry, source);
  }

  /**
   * Runs a source that was set up elsewhere under the caller's stream id. A finished stream of the
   * same id is replaced; a running one is a CONFLICT. On failure the source is stopped.
   */
  async attach(source: FrameSource, opts: AttachOptions): Promise<Stream> {
    try {
      this.ensureCapacity();
      if (this.isRunning(opts.id)) throw new GlimpseError('CONFLICT', `stream '${opts.id}' is already running`);
    } catch (err) {
      await source.stop();
      throw err;
    }
    this.forgetFinished(opts.id);
    const entry = this.newEntry(opts.id, opts.url, opts.fps);
    entry.threshold = opts.threshold;
    return this.launch(entry, source);
  }

  /** Only the owner answers; `undefined` tells the bus to stay silent. */
  update(id: string, patch: { threshold: number }): { stream: Stream; threshold: number } | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (!isActive(entry)) throw new GlimpseError('CONFLICT', `stream '${id}' is ${entry.stream.state}`);
    entry.threshold = patch.threshold;
    this.log.log(`stream ${id}: threshold ${patch.threshold}`);
    return { stream: this.snapshot(entry), threshold: patch.threshold };
  }

  /** One stream of this instance (running or recently finished). */
  get(id: string): Stream | undefined {
    const e = this.entries.get(id);
    return e && this.snapshot(e);
  }

  /** The last frame this instance sent of a running stream; `undefined` (no answer) when it does not run it. */
  lastFrame(id: string): StreamSnapshot.Reply | undefined {
    const e = this.entries.get(id);
    if (!e || !isActive(e)) return undefined;
    if (!e.last) throw new GlimpseError('NOT_FOUND', `stream '${id}' has sent no frame yet`);
    const { jpeg, seq, capturedAt, size } = e.last;
    if (Math.ceil(jpeg.length / 3) * 4 + HEADER_ALLOWANCE > this.bus.maxPayload) {
      throw new GlimpseError(
        'IMAGE_TOO_LARGE',
        `the last frame (${jpeg.length} bytes) is too large to answer over NATS; lower MAX_FRAME_WIDTH`,
      );
    }
    return {
      streamId: id,
      seq,
      capturedAt: new Date(capturedAt).toISOString(),
      width: size.width,
      height: size.height,
      jpegBase64: jpeg.toString('base64'),
    };
  }

  isRunning(id: string): boolean {
    const e = this.entries.get(id);
    return !!e && isActive(e);
  }

  private async launch(entry: Entry, source: FrameSource): Promise<Stream> {
    const id = entry.stream.id;
    const fps = entry.stream.fps;
    this.entries.set(id, entry);
    entry.source = source;
    try {
      await source.start(this.sinkFor(entry));
    } catch (err) {
      this.entries.delete(id);
      this.clearTimers(entry);
      await source.stop().catch(() => undefined);
      throw err instanceof GlimpseError
        ? err
        : new GlimpseError('SERVICE_UNAVAILABLE', `cannot start stream: ${String(err)}`);
    }
    if (entry.stream.state === 'starting') {
      entry.stream.state = 'running';
      entry.ticker = setInterval(() => this.publish(entry), this.cfg.STATUS_INTERVAL_MS).unref();
      this.publish(entry);
      this.log.log(`stream ${id} running: ${entry.stream.url} at ${fps} fps`);
    }
    return this.snapshot(entry);
  }

  /** Only the owner answers; `undefined` tells the bus to stay silent. */
  async stop(id: string): Promise<Stream | undefined> {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.finish(entry, 'stopped', null);
    await entry.released;
    return this.snapshot(entry);
  }

  list(): Stream[] {
    return [...this.entries.values()].map((e) => this.snapshot(e));
  }

  /** Every `frames*` counter summed over all streams this instance ever ran (for metrics). */
  frameTotals(): Record<string, number> {
    const totals = { ...this.retired };
    for (const e of this.entries.values()) addFrameCounters(totals, e.stream);
    return totals;
  }

  get activeCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (isActive(e)) n++;
    return n;
  }

  /** Stops every stream and waits for frames still being recognized; the bus must still be open. */
  async shutdown(): Promise<void> {
    this.closing = true;
    for (const e of this.entries.values()) this.finish(e, 'stopped', 'capture instance shut down');
    const released = [...this.entries.values()].map((e) => e.released);
    await Promise.allSettled([...released, ...this.pending]);
  }

  /** Throws SERVICE_UNAVAILABLE when this instance cannot take another stream. */
  ensureCapacity(): void {
    if (this.closing) throw new GlimpseError('SERVICE_UNAVAILABLE', 'capture instance is shutting down');
    if (this.activeCount >= this.cfg.MAX_STREAMS) {
      throw new GlimpseError('SERVICE_UNAVAILABLE', `capture instance at capacity (${this.cfg.MAX_STREAMS} streams)`);
    }
  }

  private newEntry(id: string, url: string, fps: number): Entry {
    const stream: Stream = {
      id,
      url,
      fps,
      state: 'starting',
      error: null,
      startedAt: new Date().toISOString(),
      endedAt: null,
      framesCaptured: 0,
      framesSkipped: 0,
      framesProcessed: 0,
      framesFailed: 0,
      framesRetried: 0,
      instance: this.cfg.INSTANCE_ID,
    };
    const entry: Entry = { stream, warn: new RateLimitedWarn((m) => this.log.warn(`stream ${stream.id}: ${m}`)) };
    entry.stall = setTimeout(() => this.stalled(entry), this.cfg.STALL_TIMEOUT_MS).unref();
    return entry;
  }

  private sinkFor(entry: Entry): FrameSink {
    return {
      frame: (jpeg) => this.onFrame(entry, jpeg),
      end: () => this.finish(entry, 'ended', null),
      fail: (err) => this.finish(entry, 'failed', err.message),
    };
  }

  private onFrame(entry: Entry, frame: Buffer | LazyFrame): void {
    if (!isActive(entry)) return;
    const s = entry.stream;
    const seq = s.framesCaptured++;
    entry.stall?.refresh();
    if (entry.inFlight) {
      s.framesSkipped++;
      return;
    }
    const capturedAt = Buffer.isBuffer(frame) ? Date.now() : frame.receivedAt;
    let jpeg: Buffer;
    try {
      jpeg = Buffer.isBuffer(frame) ? frame : frame.encode();
    } catch (err) {
      s.framesFailed++;
      entry.warn.warn(`frame ${seq} could not be encoded: ${String(err)}`);
      return;
    }
    if (jpeg.length + HEADER_ALLOWANCE > this.bus.maxPayload) {
      s.framesFailed++;
      entry.warn.warn(
        `frame ${seq} of ${jpeg.length} bytes exceeds the bus limit of ${this.bus.maxPayload}; skipped (lower MAX_FRAME_WIDTH)`,
      );
      return;
    }
    const size = readJpegSize(jpeg);
    if (!size) {
      s.framesFailed++;
      entry.warn.warn(`frame ${seq} is not a decodable JPEG; skipped`);
      return;
    }
    if (entry.size?.width !== size.width || entry.size?.height !== size.height) {
      this.log.log(`stream ${s.id}: frames are ${size.width}x${size.height}`);
      entry.size = size;
    }
    entry.last = { jpeg, seq, capturedAt, size };
    const sentAt = performance.now();
    const processedBefore = s.framesProcessed;
    this.observer?.sent();
    const p = this.recognize(entry, jpeg, seq, capturedAt).finally(() => {
      this.observer?.done((performance.now() - sentAt) / 1000, s.framesProcessed > processedBefore);
      entry.inFlight = undefined;
      this.pending.delete(p);
      // the final counters (unless a new stream has taken the id meanwhile)
      if (!isActive(entry) && !this.isRunning(entry.stream.id)) this.publish(entry);
    });
    entry.inFlight = p;
    this.pending.add(p);
  }

  /**
   * Sends one frame, retrying transient failures within RECOGNIZE_TIMEOUT_MS. Each attempt gets a third
   * of it: a recognizer killed while it holds the frame never answers, and only a timeout tells.
   */
  private async recognize(entry: Entry, jpeg: Buffer, seq: number, capturedAt: number): Promise<void> {
    const s = entry.stream;
    const total = this.cfg.RECOGNIZE_TIMEOUT_MS;
    const headers: FrameRecognize.Headers = {
      'Glimpse-Source': s.id,
      'Glimpse-Seq': String(seq),
      'Glimpse-Frame-Id': randomBytes(12).toString('base64url'),
      'Glimpse-Captured-At': new Date(capturedAt).toISOString(),
      'Glimpse-Store': 'true',
      'Glimpse-Threshold': entry.threshold,
      'Content-Type': 'image/jpeg',
    };
    const policy = {
      delaysMs: FRAME_RETRY_DELAYS_MS,
      deadline: Date.now() + total,
      attemptMs: Math.ceil(total / (FRAME_RETRY_DELAYS_MS.length + 1)),
      // Shutting down: the frame in flight finishes, but a failed one is not tried again.
      // a shed frame is stale by the time a retry could run: the next snapshot replaces it
      retryable: (err: GlimpseError) => err.transient && err.code !== 'OVERLOADED' && !this.closing,
      onRetry: (err: GlimpseError, n: number) => {
        s.framesRetried = (s.framesRetried ?? 0) + 1;
        entry.warn.warn(`frame ${seq}: ${err.code} ${err.message}; retry ${n}`);
      },
    };
    try {
      await withRetries((ms) => this.bus.requestBinary(FrameRecognize.contract, jpeg, headers, ms), policy);
      s.framesProcessed++;
    } catch (err) {
      s.framesFailed++;
      entry.warn.warn(
        `frame ${seq} not recognized: ${err instanceof GlimpseError ? `${err.code} ${err.message}` : String(err)}`,
      );
    }
  }

  private stalled(entry: Entry): void {
    const secs = this.cfg.STALL_TIMEOUT_MS / 1000;
    this.finish(entry, 'failed', `no frame for ${secs} s: the source stalled`);
  }

  /** The one way out of starting/running; later calls are no-ops, so races between end, fail and stop are harmless. */
  private finish(entry: Entry, state: Exclude<StreamState, 'starting' | 'running'>, error: string | null): void {
    if (!isActive(entry)) return;
    const s = entry.stream;
    s.state = state;
    s.error = error;
    s.endedAt = new Date().toISOString();
    this.clearTimers(entry);
    entry.released = entry.source
      ?.stop()
      .catch((err) => this.log.warn(`stream ${s.id}: stopping source: ${String(err)}`));
    const counts = `${s.framesCaptured} captured, ${s.framesProcessed} processed, ${s.framesSkipped} skipped, ${s.framesFailed} failed`;
    const line = `stream ${s.id} ${state}${error ? `: ${error}` : ''} (${counts})`;
    if (state === 'failed') this.log.warn(line);
    else this.log.log(line);
    this.publish(entry);
    this.remember(s.id);
  }

  private clearTimers(entry: Entry): void {
    clearTimeout(entry.stall);
    clearInterval(entry.ticker);
    entry.stall = entry.ticker = undefined;
  }

  /** Drops a finished stream of this id, so that a new one can take it. */
  private forgetFinished(id: string): void {
    const at = this.finished.indexOf(id);
    if (at >= 0) this.finished.splice(at, 1);
    const e = this.entries.get(id);
    if (e && !isActive(e)) this.retire(id);
  }

  /** Finished streams stay listed for a while; the oldest go first. */
  private remember(id: string): void {
    this.finished.push(id);
    while (this.finished.length > this.cfg.KEEP_FINISHED_STREAMS) this.retire(this.finished.shift()!);
  }

  private retire(id: string): void {
    const e = this.entries.get(id);
    if (e) addFrameCounters(this.retired, e.stream);
    this.entries.delete(id);
  }

  private publish(entry: Entry): void {
    try {
      this.bus.publish(StreamStatus.contract, [entry.stream.id], this.snapshot(entry));
    } catch (err) {
      entry.warn.warn(`cannot publish status: ${String(err)}`);
    }
  }

  private snapshot(entry: Entry): Stream {
    return { ...entry.stream };
  }
}

function addFrameCounters(totals: Record<string, number>, stream: Stream): void {
  for (const [k, v] of Object.entries(stream))
    if (k.startsWith('frames') && typeof v === 'number') totals[k] = (totals[k] ?? 0) + v;
}

/** At most one warning per stream every 10 s, so a dead recognizer does not flood the log. */
export class RateLimitedWarn {
  private last = -Infinity;
  private suppressed = 0;
  constructor(private readonly sink: (message: string) => void) {}

  warn(message: string): void {
    const now = Date.now();
    if (now - this.last < WARN_EVERY_MS) {
      this.suppressed++;
      return;
    }
    const extra = this.suppressed ? ` (${this.suppressed} similar warnings suppressed)` : '';
    this.last = now;
    this.suppressed = 0;
    this.sink(message + extra);
  }
}
