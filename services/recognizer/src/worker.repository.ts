import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { workerEncodeReplySchema, z, type WorkerEncodeFace, type WorkerEncodeReply } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';

export interface WorkerOptions {
  /** Base URLs of the Python workers, in order of preference. */
  urls: string[];
  /** Per-call timeout, in milliseconds. */
  timeoutMs: number;
  /** How often unhealthy URLs are pinged, in milliseconds; 0 turns it off. */
  pingIntervalMs?: number;
}

export interface EncodeOptions {
  detector: 'blaze' | 'hog' | 'cnn';
  upsample: number;
  jitters: number;
  /** Detect on a copy shrunk to this longest side (0: full frame); encoding always uses the full frame. */
  detectMaxSide?: number;
  /** The most the frame is shrunk for detection (bounds the smallest face found). */
  detectMinScale?: number;
  /** Ask for a base64 JPEG crop of each face (its quality comes with every face regardless). */
  crops: boolean;
  /** A stream's id: the worker follows its faces across frames and reuses encodings of faces it tracks. */
  track?: string;
}

export interface WorkerHealth {
  url: string;
  ok: boolean;
  detail: string;
}

export type WorkerReply = WorkerEncodeReply;
export type WorkerFace = WorkerEncodeFace;

const workerError = z.object({ code: z.string(), message: z.string() });

/** Worker codes passed on as they are; anything else from a 4xx is our own bug, not the caller's. */
const CLIENT_CODES = ['INVALID_IMAGE', 'IMAGE_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const;

const PING_TIMEOUT_MS = 2_000;

/**
 * The only code that talks HTTP to the Python worker. Healthy URLs are tried first, in turn;
 * connection failures, timeouts, 5xx and malformed replies move on to the next URL, while a
 * worker's verdict on the image (4xx) is final.
 */
export class WorkerRepository implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('WorkerRepository');
  private readonly health = new Map<string, WorkerHealth>();
  private next = 0;
  private pinger?: NodeJS.Timeout;

  constructor(private readonly opts: WorkerOptions) {
    for (const url of opts.urls) this.health.set(url, { url, ok: true, detail: 'not checked yet' });
  }

  onModuleInit(): void {
    if (!this.opts.pingIntervalMs) return;
    this.pinger = setInterval(
      () => void this.ping(this.opts.urls.filter((u) => !this.isHealthy(u))),
      this.opts.pingIntervalMs,
    );
    this.pinger.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pinger);
  }

  async encode(image: Uint8Array, contentType: string, opts: EncodeOptions): Promise<WorkerReply> {
    const query = new URLSearchParams({
      detector: opts.detector,
      upsample: String(opts.upsample),
      jitters: String(opts.jitters),
      crops: String(opts.crops),
    });
    if (opts.detectMaxSide !== undefined) query.set('detect_max_side', String(opts.detectMaxSide));
    if (opts.detectMinScale !== undefined) query.set('detect_min_scale', String(opts.detectMinScale));
    if (opts.track) query.set('track', opts.track);
    const failures: string[] = [];
    const order = this.order();
    for (const url of order) {
      try {
        const reply = await this.post(`${url}/v1/encode?${query}`, image, contentType);
        if (opts.crops && reply.faces.some((f) => !f.crop)) throw new Error('reply lacks the face crops asked for');
        this.mark(url, true, 'ok');
        return reply;
      } catch (err) {
        if (err instanceof GlimpseError) throw err;
        const reason = reasonOf(err, this.opts.timeoutMs);
        this.mark(url, false, reason);
        failures.push(`${url}: ${reason}`);
        this.log.warn(`worker ${url} failed (${reason})${url === order.at(-1) ? '' : ', trying the next one'}`);
      }
    }
    throw new GlimpseError(
      'WORKER_UNAVAILABLE',
      `face recognition worker unavailable at ${order.join(', ')}: ${failures.join('; ')}`,
    );
  }

  /** Pings workers (all by default) and records what it finds. */
  async ping(urls: string[] = this.opts.urls): Promise<WorkerHealth[]> {
    const timeoutMs = Math.min(PING_TIMEOUT_MS, this.opts.timeoutMs);
    return Promise.all(
      urls.map(async (url) => {
        try {
          const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(timeoutMs) });
          const body = (await res.json().catch(() => ({}))) as WorkerPing;
          if (!res.ok) return this.mark(url, false, `HTTP ${res.status}`);
          return this.mark(url, true, describeWorker(body));
        } catch (err) {
          return this.mark(url, false, reasonOf(err, timeoutMs));
        }
      }),
    );
  }

  private async post(url: string, body: Uint8Array, contentType: string): Promise<WorkerReply> {
    const { status, text } = await post(url, body, contentType, this.opts.timeoutMs);
    if (status < 200 || status > 299) {
      const error = workerError.safeParse(safeJson(text));
      const message = error.success ? error.data.message : text.slice(0, 200) || 'no body';
      if (status < 500) throw rejection(status, error.success ? error.data.code : '', message);
      throw new Error(`HTTP ${status}: ${message}`);
    }
    const parsed = workerEncodeReplySchema.safeParse(safeJson(text));
    if (!parsed.success) throw new Error(`malformed reply: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ')}`);
    return parsed.data;
  }

  /** Healthy URLs first, starting one further each call so that several workers share the load. */
  private order(): string[] {
    const urls = this.opts.urls;
    const start = this.next++ % urls.length;
    const rotated = [...urls.slice(start), ...urls.slice(0, start)];
    return [...rotated.filter((u) => this.isHealthy(u)), ...rotated.filter((u) => !this.isHealthy(u))];
  }

  private isHealthy(url: string): boolean {
    return this.health.get(url)?.ok ?? true;
  }

  private mark(url: string, ok: boolean, detail: string): WorkerHealth {
    const was = this.health.get(url);
    if (was && was.ok !== ok) {
      if (ok) this.log.log(`worker ${url} is back`);
      else this.log.warn(`worker ${url} marked unhealthy: ${detail}`);
    }
    const now = { url, ok, detail };
    this.health.set(url, now);
    return now;
  }
}

// Every frame goes through here: node:http on kept-alive sockets took the recognizer's CPU per frame from
// 3.0 to 1.9 ms (measured with 640x480 frames); fetch wraps each body in WHATWG streams.
const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** One POST and its whole body as text; rejects with a TimeoutError after `timeoutMs`. */
function post(
  url: string,
  body: Uint8Array,
  contentType: string,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  const secure = url.startsWith('https:');
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const headers = { 'Content-Type': contentType, 'Content-Length': body.byteLength };
    const req = send(
      url,
      { method: 'POST', headers, agent: secure ? agents.https : agents.http },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('aborted', () => fail(new Error('the worker closed the connection mid-reply')));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })),
      timeoutMs,
    );
    function fail(err: Error): void {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
    req.end(body);
  });
}

/** What a worker's /ping says about itself (services/recognizer/worker/app/main.py). */
export interface WorkerPing {
  model?: string;
  cuda?: boolean;
  blas?: boolean;
  /** The dlib build serving requests: `openblas`, `bin` (prebuilt, ~4x slower encoding) or `cuda`. */
  dlib?: string;
  /** npm start's background compile of dlib with OpenBLAS, until the worker has moved to it. */
  dlibBuild?: { state?: string; percent?: number; detail?: string };
}

/** The health detail of a worker: its model, its dlib build, and the OpenBLAS compile while it runs. */
export function describeWorker(p: WorkerPing): string {
  const notes = [p.model ?? 'unknown model'];
  if (p.cuda) notes.push('CUDA');
  if (p.dlib) notes.push(`dlib: ${p.dlib}${p.dlib === 'bin' ? ' (~4x slower encoding)' : ''}`);
  else if (p.blas === false) notes.push('dlib without BLAS (~4x slower encoding)');
  const b = p.dlibBuild;
  if (b?.state === 'building') notes.push(`OpenBLAS build ${b.percent ?? 0}%`);
  else if (b?.state === 'pending') notes.push('OpenBLAS build pending');
  else if (b?.state === 'switching') notes.push('switching to OpenBLAS');
  else if (b?.state === 'failed') notes.push(`OpenBLAS build failed${b.detail ? `: ${b.detail}` : ''}`);
  return notes.join(', ');
}

function rejection(status: number, code: string, message: string): GlimpseError {
  if ((CLIENT_CODES as readonly string[]).includes(code))
    return new GlimpseError(code as (typeof CLIENT_CODES)[number], message);
  if (status === 413) return new GlimpseError('IMAGE_TOO_LARGE', message);
  if (status === 415) return new GlimpseError('UNSUPPORTED_MEDIA_TYPE', message);
  // e.g. INVALID_REQUEST for our own query string: a configuration problem, retrying cannot help
  return new GlimpseError('INTERNAL', `worker rejected the request (HTTP ${status}): ${message}`);
}

function reasonOf(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  // fetch's own message (pings) is just "fetch failed"; the socket error in `cause` says what happened
  const detail = e?.cause?.message || e?.cause?.code;
  if (detail) return detail;
  return e?.message ?? String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
