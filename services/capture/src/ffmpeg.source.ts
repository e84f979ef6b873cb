import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { GlimpseError } from '@glimpse/platform';
import { CAPTURE_CONFIG, type CaptureConfig } from './config';
import type { FrameSink, FrameSource, FrameSourceFactory, SourceOptions, SourceSpec } from './frame-source';
import { JpegSplitter } from './jpeg';
import { redact } from './source-url';

const KILL_GRACE_MS = 2_000;
const STDERR_LINES = 8;

/** Bounds on what one ffmpeg process may read and for how long. */
export interface FfmpegLimits {
  /** Socket I/O timeout for network sources (ms). */
  networkTimeoutMs: number;
  /** Demuxers the input may be read with (`-format_whitelist`). */
  formats: readonly string[];
}

/** Protocols each kind of source needs, and nothing else: a playlist inside cannot reach `file:` or other schemes. */
const PROTOCOLS = {
  file: 'file',
  rtsp: 'rtsp,rtsps,tcp,tls',
  rtsps: 'rtsp,rtsps,tcp,tls',
  http: 'http,https,tcp,tls',
  https: 'http,https,tcp,tls',
} as const;

/** Probing reads at most this much (bytes, and microseconds of media) before frames flow. */
const PROBE_BYTES = '5000000';
const PROBE_US = '5000000';
/** No single buffer ffmpeg allocates may exceed this: a forged 100000x100000 frame fails instead of eating RAM. */
const MAX_ALLOC_BYTES = String(512 * 1024 * 1024);

/** The ffmpeg command line for one source: snapshots at `fps` as MJPEG on stdout. */
export function ffmpegArgs(spec: SourceSpec, opts: SourceOptions, limits: FfmpegLimits): string[] {
  const us = String(limits.networkTimeoutMs * 1000);
  const kind = spec.kind === 'file' ? 'file' : spec.protocol;
  // RTP over UDP reads from the `udp`/`rtp` sockets the RTSP session sets up: only then are they allowed
  const udp = spec.kind === 'network' && spec.transport === 'udp';
  const protocols = udp ? `${PROTOCOLS[kind]},udp,rtp` : PROTOCOLS[kind];
  const input: string[] = ['-protocol_whitelist', protocols, '-format_whitelist', limits.formats.join(',')];
  input.push('-probesize', PROBE_BYTES, '-analyzeduration', PROBE_US);
  if (spec.kind === 'file') {
    // -re: play in real time, like a camera, instead of decoding as fast as the CPU allows
    input.push('-re');
    if (spec.loop) input.push('-stream_loop', '-1');
    // the file: prefix keeps a ':' in a file name from being read as a protocol
    input.push('-i', `file:${spec.path}`);
  } else {
    if (opts.keyframesOnly) input.push('-skip_frame', 'nokey');
    if (spec.protocol === 'rtsp' || spec.protocol === 'rtsps') {
      // a live camera: hand each frame on as soon as it is decoded rather than buffering ahead (not for
      // HTTP, where a finite MP4 read with nobuffer was seen to yield no frame at all)
      input.push('-fflags', 'nobuffer', '-flags', 'low_delay');
      input.push('-rtsp_transport', udp ? 'udp' : 'tcp', '-timeout', us, '-i', spec.url);
    } else {
      // a redirect could lead to an address the URL policy refuses, so none is followed
      input.push('-rw_timeout', us, '-max_redirects', '0', '-i', spec.url);
    }
  }
  const scale = `scale='min(iw,${opts.maxWidth})':-2`;
  // the fps filter repeats frames to fill its rate: with key frames only that would encode each one again
  const keyframes = opts.keyframesOnly && spec.kind === 'network';
  const pick = keyframes
    ? `select='isnan(prev_selected_t)+gte(t-prev_selected_t,${round3(0.9 / opts.fps)})'`
    : `fps=${opts.fps}`;
  return [
    ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-max_alloc', MAX_ALLOC_BYTES],
    ...input,
    ...['-an', '-sn', '-dn', '-vf', `${pick},${scale}`],
    ...(keyframes ? ['-fps_mode', 'passthrough'] : []),
    ...['-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '3', 'pipe:1'],
  ];
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/** Keeps the last few stderr lines, for the stream's `error` when ffmpeg fails. */
export class StderrTail {
  private lines: string[] = [];
  private partial = '';

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n|\r/);
    this.partial = parts.pop()!.slice(-1000);
    for (const line of parts) if (line.trim()) this.lines.push(line.trim().slice(0, 500));
    if (this.lines.length > STDERR_LINES) this.lines = this.lines.slice(-STDERR_LINES);
  }

  toString(): string {
    return [...this.lines, this.partial.trim()].filter(Boolean).join('\n');
  }
}

/** One ffmpeg process; stdout is cut into JPEGs, exit 0 means end of input. */
export class FfmpegSource implements FrameSource {
  private child?: ChildProcess;
  private sink?: FrameSink;
  private exited?: Promise<void>;
  private stopping = false;
  private limit?: NodeJS.Timeout;
  private readonly stderr = new StderrTail();

  /** `maxDurationMs` > 0: the source ends (like end of file) after that long; 0 runs until the input ends. */
  constructor(
    private readonly bin: string,
    private readonly args: string[],
    private readonly secrets: readonly string[] = [],
    private readonly maxDurationMs = 0,
  ) {}

  start(sink: FrameSink): Promise<void> {
    if (this.child) throw new Error('source already started');
    this.sink = sink;
    const child = spawn(this.bin, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const splitter = new JpegSplitter();
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) this.sink?.frame(frame);
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => this.stderr.push(s));
    // 'close' waits for stdout to be read to the end, so the last frame comes before `end`
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        this.onClose(code, signal);
        resolve();
      }),
    );
    return new Promise((resolve, reject) => {
      child.once('spawn', () => {
        if (this.maxDurationMs > 0) this.limit = setTimeout(() => void this.expire(), this.maxDurationMs).unref();
        resolve();
      });
      child.once('error', (err) => {
        if (child.pid === undefined) {
          this.sink = undefined;
          reject(
            new GlimpseError('SERVICE_UNAVAILABLE', `cannot run ffmpeg (${this.bin}): ${err.message}`, { cause: err }),
          );
        } else this.finish((s) => s.fail(err));
      });
    });
  }

  async stop(): Promise<void> {
    clearTimeout(this.limit);
    this.stopping = true;
    this.sink = undefined;
    const child = this.child;
    if (!child || child.pid === undefined) return; // never spawned
    if (child.exitCode !== null || child.signalCode !== null) return this.exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** STREAM_MAX_DURATION_S is up: stop ffmpeg, then report a normal end. */
  private async expire(): Promise<void> {
    const sink = this.sink;
    await this.stop();
    sink?.end();
  }

  private onClose(code: number | null, signal: NodeJS.Signals | null): void {
    clearTimeout(this.limit);
    if (this.stopping) return;
    if (code === 0) return this.finish((s) => s.end());
    const how = code !== null ? `exited with code ${code}` : `was killed by ${signal}`;
    const tail = redact(this.stderr.toString(), this.secrets);
    this.finish((s) => s.fail(new Error(`ffmpeg ${how}${tail ? `: ${tail}` : ''}`)));
  }

  private finish(fn: (sink: FrameSink) => void): void {
    const sink = this.sink;
    this.sink = undefined;
    if (sink) fn(sink);
  }
}

/** Creates ffmpeg sources, and answers whether ffmpeg runs at all (checked once, at start). */
@Injectable()
export class FfmpegSourceFactory implements FrameSourceFactory, OnModuleInit {
  private probe?: Promise<{ ok: boolean; detail: string }>;

  constructor(@Inject(CAPTURE_CONFIG) private readonly cfg: CaptureConfig) {}

  onModuleInit(): void {
    void this.health();
  }

  create(spec: SourceSpec, opts: SourceOptions): FrameSource {
    const secrets = spec.kind === 'network' ? spec.secrets : [];
    const limits = { networkTimeoutMs: this.cfg.NETWORK_TIMEOUT_MS, formats: this.cfg.STREAM_FORMATS };
    return new FfmpegSource(
      this.cfg.FFMPEG_PATH,
      ffmpegArgs(spec, opts, limits),
      secrets,
      this.cfg.STREAM_MAX_DURATION_S * 1000,
    );
  }

  health(): Promise<{ ok: boolean; detail: string }> {
    this.probe ??= new Promise((resolve) => {
      execFile(this.cfg.FFMPEG_PATH, ['-hide_banner', '-version'], { timeout: 10_000 }, (err, stdout) => {
        if (err) resolve({ ok: false, detail: `${this.cfg.FFMPEG_PATH}: ${err.message}` });
        else resolve({ ok: true, detail: stdout.split('\n')[0].trim() });
      });
    });
    return this.probe;
  }
}
