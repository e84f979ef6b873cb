import type { FrameSink, FrameSource } from '../frame-source';
import type { I420Frame } from './wrtc';

/** What the source needs of an `RTCVideoSink`. */
export interface VideoSinkLike {
  onframe: ((ev: { frame: I420Frame }) => void) | null;
  stop(): void;
}

export interface PeerEnd {
  failed: boolean;
  reason: string;
}

/** The connection that carries the video: it may end by itself, and the source closes it when done. */
export interface PeerLink {
  /** `listener` is called at most once, when the connection ends on its own. */
  onEnd(listener: (end: PeerEnd) => void): void;
  /** Whether the remote video track has ended (checked by the watchdog; wrtc fires no event for it). */
  trackEnded?(): boolean;
  /** Idempotent. */
  close(): void;
}

type Resource = 'peers' | 'sinks' | 'timers';

/**
 * Counts this instance's live WebRTC resources. Each count is back to 0 once every live stream is
 * gone; health reports them, and the leak test checks them after hundreds of sessions.
 */
export class ResourceGauge {
  private readonly counts: Record<Resource, number> = { peers: 0, sinks: 0, timers: 0 };
  open(kind: Resource, n = 1): void {
    this.counts[kind] += n;
  }
  close(kind: Resource, n = 1): void {
    this.counts[kind] -= n;
  }
  snapshot(): Record<Resource, number> {
    return { ...this.counts };
  }
}

export interface WebRtcSourceOptions {
  /** Snapshots per second. */
  fps: number;
  /** No video at all within this long (ms) after start: the publisher never connected. */
  connectTimeoutMs: number;
  /** No video for this long (ms) once it flowed: the publisher is gone. */
  frameTimeoutMs: number;
  /** I420 → JPEG; called only for frames that will be sent. */
  encode: (frame: I420Frame) => Buffer;
  gauge?: ResourceGauge;
  /** Called once, when stop() has released everything. */
  onStopped?: () => void;
}

const secs = (ms: number) => Math.round(ms / 100) / 10;

/**
 * A WebRTC video track as a FrameSource. The sink keeps only the latest decoded frame; every
 * 1/fps s the latest frame not yet taken is offered (encoded lazily, so a frame the stream manager
 * skips costs nothing). A watchdog ends the stream when video never starts or stops flowing, and a
 * failed or closed connection ends it at once; stop() frees the peer, the sink and both timers.
 */
export class WebRtcFrameSource implements FrameSource {
  private sink?: FrameSink;
  private latest?: { frame: I420Frame; at: number };
  private startedAt = 0;
  private lastFrameAt?: number;
  private ticker?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private stopped = false;
  /** Decoded frames that arrived, and frames offered as snapshots. */
  readonly counts = { received: 0, offered: 0 };

  constructor(
    private readonly peer: PeerLink,
    private readonly video: VideoSinkLike,
    private readonly opts: WebRtcSourceOptions,
  ) {
    opts.gauge?.open('sinks');
  }

  start(sink: FrameSink): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('source already stopped'));
    if (this.sink) return Promise.reject(new Error('source already started'));
    this.sink = sink;
    this.startedAt = Date.now();
    this.video.onframe = (ev) => this.onVideoFrame(ev.frame);
    this.peer.onEnd((end) => this.finish((s) => (end.failed ? s.fail(new Error(end.reason)) : s.end())));
    this.ticker = setInterval(() => this.tick(), 1000 / this.opts.fps).unref();
    this.watchdog = setInterval(() => this.check(), Math.min(1000, this.opts.frameTimeoutMs / 4)).unref();
    this.opts.gauge?.open('timers', 2);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    this.sink = undefined;
    this.latest = undefined;
    if (this.ticker) {
      clearInterval(this.ticker);
      clearInterval(this.watchdog);
      this.ticker = this.watchdog = undefined;
      this.opts.gauge?.close('timers', 2);
    }
    this.video.onframe = null;
    try {
      this.video.stop();
    } catch {
      // already stopped with its track
    }
    this.opts.gauge?.close('sinks');
    this.peer.close();
    this.opts.onStopped?.();
    return Promise.resolve();
  }

  private onVideoFrame(frame: I420Frame): void {
    const now = Date.now();
    this.latest = { frame, at: now };
    this.lastFrameAt = now;
    this.counts.received++;
  }

  private tick(): void {
    const latest = this.latest;
    if (!latest || !this.sink) return;
    this.latest = undefined; // a decoded frame is offered at most once
    this.counts.offered++;
    const encode = this.opts.encode;
    this.sink.frame({ receivedAt: latest.at, encode: () => encode(latest.frame) });
  }

  private check(): void {
    const now = Date.now();
    const { connectTimeoutMs, frameTimeoutMs } = this.opts;
    if (this.peer.trackEnded?.()) {
      this.finish((s) => s.end());
    } else if (this.lastFrameAt === undefined) {
      if (now - this.startedAt < connectTimeoutMs) return;
      const why = `no video within ${secs(connectTimeoutMs)} s: the publisher never connected (is UDP open between it and the capture service?)`;
      this.finish((s) => s.fail(new Error(why)));
    } else if (now - this.lastFrameAt >= frameTimeoutMs) {
      const why = `no video for ${secs(frameTimeoutMs)} s: the publisher went away (tab closed or connection lost)`;
      this.finish((s) => s.fail(new Error(why)));
    }
  }

  private finish(fn: (sink: FrameSink) => void): void {
    const sink = this.sink;
    this.sink = undefined;
    if (sink) fn(sink);
  }
}
