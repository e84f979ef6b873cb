/**
 * Where an ffmpeg stream's frames come from, after validation. WebRTC sources are not described
 * by a spec: their peer connection is negotiated first, then handed to `StreamManager.attach`.
 */
export type SourceSpec =
  | { kind: 'file'; path: string; loop: boolean }
  | {
      kind: 'network';
      url: string;
      protocol: 'rtsp' | 'rtsps' | 'http' | 'https';
      /** Secrets in `url` (a password), which must never reach logs or clients. */
      secrets: string[];
      /** RTSP media over the control connection (default: firewall- and NAT-friendly) or over UDP/RTP. */
      transport?: 'tcp' | 'udp';
    };

/**
 * A frame encoded only when it is about to be sent: a decoded video frame that would be skipped
 * (the previous one still in flight) never costs a JPEG encode.
 */
export interface LazyFrame {
  /** When the frame arrived, in ms since the epoch: the recognition's `capturedAt`. */
  receivedAt: number;
  /** The frame as a JPEG; throws when it cannot be encoded. */
  encode(): Buffer;
}

/** Receives what a source produces; a source calls `end` or `fail` at most once, then nothing else. */
export interface FrameSink {
  frame(frame: Buffer | LazyFrame): void;
  /** The source ran out (end of file). */
  end(): void;
  fail(err: Error): void;
}

/** Produces JPEG snapshots at (about) the requested rate until stopped, ended or failed. */
export interface FrameSource {
  /** Resolves once frames can flow (the process has spawned); rejects when it cannot start. */
  start(sink: FrameSink): Promise<void>;
  /** Idempotent; resolves when the source has released its resources. The sink hears nothing after. */
  stop(): Promise<void>;
}

export interface SourceOptions {
  /** Snapshots per second. */
  fps: number;
  /** Wider frames are scaled down to this width, in pixels. */
  maxWidth: number;
  /**
   * Decode key frames only (`-skip_frame nokey`): a fraction of the CPU, but at most one snapshot per GOP.
   * Default false: every frame is decoded and the `fps` filter keeps `fps` of them.
   */
  keyframesOnly?: boolean;
}

/** The seam the stream manager creates URL-based (ffmpeg) sources through. */
export interface FrameSourceFactory {
  create(spec: SourceSpec, opts: SourceOptions): FrameSource;
}

export const FRAME_SOURCES = Symbol('FrameSourceFactory');
