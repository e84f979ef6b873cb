import { readFileSync } from 'node:fs';
import {
  connect,
  credsAuthenticator,
  type ConnectionOptions,
  headers as natsHeaders,
  JSONCodec,
  RequestStrategy,
  ErrorCode as NatsErrorCode,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from 'nats';
import { z } from 'zod';
import {
  replyEnvelope,
  type BinaryRequestContract,
  type EventContract,
  type HeadersOf,
  type PayloadOf,
  type ReplyOf,
  type RequestContract,
  type RequestOf,
} from '@glimpse/contracts';
import type { NatsConnectionSettings } from './config';
import { GlimpseError } from './errors';
import { Semaphore } from './semaphore';

type AnyRequest = RequestContract<z.ZodType, z.ZodType>;
type AnyBinary = BinaryRequestContract<z.ZodType, z.ZodType>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any event's subjectFor(...args), whatever its parameters
type AnyEvent = EventContract<z.ZodType, any[]>;

export interface BusLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
}

export interface BusOptions {
  servers: string;
  name: string;
  logger?: BusLogger;
  /** Default timeout for requests, in milliseconds. */
  requestTimeoutMs?: number;
  /** Credentials and TLS (NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_CREDS, NATS_TLS_*); none by default. */
  connection?: NatsConnectionSettings;
  /**
   * Replicas of the streams and KV buckets this service creates (NATS_REPLICAS). Unset: chosen from the cluster's
   * size, which a server started with `no_advertise` (the NATS Helm chart's default) hides.
   */
  replicas?: number;
}

export interface HandleOptions {
  queue?: string;
  /** Messages handled at once by this subscription; the rest wait in the client. */
  concurrency?: number;
}

export interface BinaryMessage<H> {
  body: Uint8Array;
  headers: H;
  /** When the requester stops waiting (epoch ms, this host's clock), from its `Glimpse-Timeout-Ms`. */
  deadline?: number;
}

/** Carries the requester's timeout, so a responder can skip work nobody waits for any more. */
export const TIMEOUT_HEADER = 'Glimpse-Timeout-Ms';

/** One finished request (as requester) or handled message (as responder); `outcome` is `ok` or an error code. */
export interface BusObservation {
  kind: 'request' | 'handle';
  subject: string;
  seconds: number;
  outcome: string;
}

const codec = JSONCodec();
const envelope = replyEnvelope(z.unknown());

/**
 * The typed NATS seam of every service: requests, replies and events are checked against
 * `@glimpse/contracts` on both sides, failures travel as error envelopes, and shutdown drains.
 */
export class Bus {
  private readonly subs: Subscription[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly loops: Promise<void>[] = [];
  private readonly log: BusLogger;
  private readonly observers: Array<(o: BusObservation) => void> = [];

  private constructor(
    readonly nc: NatsConnection,
    private readonly opts: BusOptions,
  ) {
    this.log = opts.logger ?? console;
    void this.watchStatus();
  }

  static async connect(opts: BusOptions): Promise<Bus> {
    try {
      const nc = await connect({
        servers: opts.servers.split(','),
        name: opts.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
        waitOnFirstConnect: true,
        timeout: 5000,
        ...connectionOptions(opts.connection),
      });
      return new Bus(nc, opts);
    } catch (err) {
      throw new GlimpseError('SERVICE_UNAVAILABLE', `cannot connect to NATS at ${opts.servers}: ${String(err)}`, {
        cause: err,
      });
    }
  }

  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  isConnected(): boolean {
    return !this.nc.isClosed() && !this.nc.isDraining() && this.connected;
  }

  /**
   * The NATS server this connection uses, for health replies: `<server_name> at <host:port>` (a cluster has
   * several, and the client moves between them), never the URL's credentials.
   */
  serverDetail(): string {
    if (!this.isConnected()) return 'not connected';
    const at = this.nc.getServer().replace(/^.*@/, '');
    const name = this.nc.info?.server_name;
    return name ? `${name} at ${at}` : at;
  }
  private connected = true;

  /**
   * Replicas for a stream or bucket this service creates: `configured` (NATS_REPLICAS, by default the one the
   * bus was connected with) when set, else 3 when the server is in a cluster of at least three (its INFO lists
   * every member's client URL), else 1.
   */
  jetStreamReplicas(configured = this.opts.replicas): number {
    if (configured) return configured;
    const info = this.nc.info;
    const members = info?.cluster ? new Set(info.connect_urls ?? []).size : 0;
    return members >= 3 ? 3 : 1;
  }

  /** Metrics hook: `fn` hears of every request and handled message with its duration and outcome. */
  observe(fn: (o: BusObservation) => void): void {
    this.observers.push(fn);
  }

  async request<C extends AnyRequest>(c: C, payload: RequestOf<C>, timeoutMs?: number): Promise<ReplyOf<C>> {
    return this.timed('request', c.subject, async () => {
      const body = codec.encode(c.request.parse(payload));
      const msg = await this.rawRequest(c.subject, body, undefined, timeoutMs);
      return this.decodeReply(c.subject, c.reply, msg) as ReplyOf<C>;
    });
  }

  async requestBinary<C extends AnyBinary>(
    c: C,
    body: Uint8Array,
    headers: z.input<C['headers']>,
    timeoutMs?: number,
  ): Promise<ReplyOf<C>> {
    return this.timed('request', c.subject, async () => {
      c.headers.parse(headers);
      const h = natsHeaders();
      for (const [k, v] of Object.entries(headers as Record<string, unknown>)) if (v !== undefined) h.set(k, String(v));
      h.set(TIMEOUT_HEADER, String(timeoutMs ?? this.opts.requestTimeoutMs ?? 10_000));
      const msg = await this.rawRequest(c.subject, body, h, timeoutMs);
      return this.decodeReply(c.subject, c.reply, msg) as ReplyOf<C>;
    });
  }

  /** Scatter-gather: every responder's successful reply within `maxWaitMs`. */
  async gather<C extends AnyRequest>(c: C, payload: RequestOf<C>, maxWaitMs = 500): Promise<ReplyOf<C>[]> {
    const out: ReplyOf<C>[] = [];
    try {
      const it = await this.nc.requestMany(c.subject, codec.encode(c.request.parse(payload)), {
        maxWait: maxWaitMs,
        strategy: RequestStrategy.Timer,
        noMux: true,
      });
      for await (const msg of it) {
        try {
          out.push(this.decodeReply(c.subject, c.reply, msg) as ReplyOf<C>);
        } catch (err) {
          if (!(err instanceof GlimpseError) || err.code === 'INTERNAL') this.log.warn(`${c.subject}: ${String(err)}`);
        }
      }
    } catch (err) {
      if (!isNoResponders(err)) throw this.transportError(c.subject, err);
    }
    return out;
  }

  publish<C extends AnyEvent>(c: C, args: Parameters<C['subject']>, payload: PayloadOf<C>): void {
    this.nc.publish(c.subject(...args), codec.encode(c.payload.parse(payload)));
  }

  subscribe<C extends AnyEvent>(
    c: C,
    handler: (payload: PayloadOf<C>, subject: string) => Promise<void> | void,
    opts: HandleOptions & { subject?: string } = {},
  ): Subscription {
    return this.consume(opts.subject ?? c.pattern, opts, async (msg) => {
      const parsed = c.payload.safeParse(safeJson(msg.data));
      if (!parsed.success) {
        this.log.warn(`dropped invalid ${msg.subject} event: ${parsed.error.message}`);
        return;
      }
      await handler(parsed.data as PayloadOf<C>, msg.subject);
    });
  }

  handle<C extends AnyRequest>(
    c: C,
    handler: (payload: z.infer<C['request']>) => Promise<ReplyOf<C> | undefined>,
    opts: HandleOptions = {},
  ): Subscription {
    return this.consume(c.subject, opts, async (msg) => {
      const parsed = c.request.safeParse(safeJson(msg.data));
      if (!parsed.success) return this.respondError(msg, new GlimpseError('INVALID_REQUEST', parsed.error.message));
      await this.respond(msg, c.reply, () => handler(parsed.data as z.infer<C['request']>));
    });
  }

  handleBinary<C extends AnyBinary>(
    c: C,
    handler: (m: BinaryMessage<z.infer<C['headers']>>) => Promise<ReplyOf<C>>,
    opts: HandleOptions = {},
  ): Subscription {
    return this.consume(c.subject, opts, async (msg) => {
      const deadline = deadlineOf(msg.headers);
      const parsed = c.headers.safeParse(headersToObject(msg.headers));
      if (!parsed.success) return this.respondError(msg, new GlimpseError('INVALID_REQUEST', parsed.error.message));
      await this.respond(msg, c.reply, () =>
        handler({ body: msg.data, headers: parsed.data as z.infer<C['headers']>, deadline }),
      );
    });
  }

  /** Stops taking messages, finishes those in flight, then drains the connection. */
  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    // Said once at the start and once at the end, so an operator (and the fault tests) can see a clean stop.
    this.log.log(`draining NATS (${this.inFlight.size} messages in flight)`);
    // Draining a subscription still delivers what it holds; the loops end once all of it is read.
    await Promise.allSettled(this.subs.map((s) => s.drain()));
    await Promise.allSettled(this.loops);
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
    if (!this.nc.isClosed() && !this.nc.isDraining()) await this.nc.drain().catch(() => undefined);
    this.log.log('NATS drained');
  }

  private consume(subject: string, opts: HandleOptions, fn: (msg: Msg) => Promise<void>): Subscription {
    const sub = this.nc.subscribe(subject, { queue: opts.queue });
    this.subs.push(sub);
    const sem = new Semaphore(opts.concurrency ?? 32);
    const loop = (async () => {
      for await (const msg of sub) {
        await sem.acquire(); // backpressure: unread messages wait in the subscription, not in memory here
        const p = fn(msg)
          .catch((err) => this.log.error(`${subject} handler failed: ${String(err)}`, (err as Error)?.stack))
          .finally(() => {
            sem.release();
            this.inFlight.delete(p);
          });
        this.inFlight.add(p);
      }
    })();
    this.loops.push(loop);
    return sub;
  }

  private async respond(msg: Msg, schema: z.ZodType, run: () => Promise<unknown>): Promise<void> {
    let data: unknown;
    try {
      data = await this.timed('handle', msg.subject, run);
    } catch (err) {
      const ge = GlimpseError.from(err);
      if (ge.code === 'INTERNAL') this.log.error(`${msg.subject}: ${String(err)}`, (err as Error)?.stack);
      return this.respondError(msg, ge);
    }
    if (data === undefined) return; // the handler chose not to answer (scatter-gather)
    const checked = schema.safeParse(data);
    if (!checked.success) {
      this.log.error(`${msg.subject}: reply breaks its contract: ${checked.error.message}`);
      return this.respondError(msg, new GlimpseError('INTERNAL', 'reply breaks its contract'));
    }
    if (msg.reply) msg.respond(codec.encode({ ok: true, data: checked.data }));
  }

  private respondError(msg: Msg, err: GlimpseError): void {
    if (msg.reply) msg.respond(codec.encode({ ok: false, error: err.toBody() }));
  }

  private async rawRequest(subject: string, body: Uint8Array, h: MsgHdrs | undefined, timeoutMs?: number) {
    if (body.length > this.maxPayload) {
      throw new GlimpseError(
        'IMAGE_TOO_LARGE',
        `message of ${body.length} bytes exceeds NATS max_payload ${this.maxPayload}`,
      );
    }
    try {
      return await this.nc.request(subject, body, {
        timeout: timeoutMs ?? this.opts.requestTimeoutMs ?? 10_000,
        headers: h,
        noMux: false,
      });
    } catch (err) {
      throw this.transportError(subject, err);
    }
  }

  private transportError(subject: string, err: unknown): GlimpseError {
    if (isNoResponders(err))
      return new GlimpseError('SERVICE_UNAVAILABLE', `no service is answering ${subject}`, { cause: err });
    // the body fitted, but headers count against max_payload too: still the caller's oversized message
    if ((err as { code?: string })?.code === NatsErrorCode.MaxPayloadExceeded) {
      return new GlimpseError('IMAGE_TOO_LARGE', `message with headers exceeds NATS max_payload ${this.maxPayload}`, {
        cause: err,
      });
    }
    if ((err as { code?: string })?.code === NatsErrorCode.Timeout) {
      return new GlimpseError('TIMEOUT', `${subject} did not answer in time`, { cause: err });
    }
    return new GlimpseError('SERVICE_UNAVAILABLE', `NATS request ${subject} failed: ${String(err)}`, { cause: err });
  }

  private decodeReply<T extends z.ZodType>(subject: string, schema: T, msg: Msg): z.infer<T> {
    const env = envelope.safeParse(safeJson(msg.data));
    if (!env.success) throw new GlimpseError('INTERNAL', `malformed reply on ${subject}: ${env.error.message}`);
    if (!env.data.ok) throw new GlimpseError(env.data.error.code, env.data.error.message);
    const data = schema.safeParse(env.data.data);
    if (!data.success)
      throw new GlimpseError('INTERNAL', `reply on ${subject} breaks its contract: ${data.error.message}`);
    return data.data as z.infer<T>;
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        this.log.warn(`NATS disconnected (${String(s.data)})`);
      } else if (s.type === 'reconnect') {
        this.connected = true;
        this.log.log(`NATS reconnected (${String(s.data)})`);
      }
    }
  }

  private async timed<T>(kind: BusObservation['kind'], subject: string, fn: () => Promise<T>): Promise<T> {
    if (!this.observers.length) return fn();
    const started = performance.now();
    let outcome = 'ok';
    try {
      return await fn();
    } catch (err) {
      outcome = err instanceof GlimpseError ? err.code : 'INTERNAL';
      throw err;
    } finally {
      const o = { kind, subject, seconds: (performance.now() - started) / 1000, outcome };
      for (const observer of this.observers) observer(o);
    }
  }
}

/** The requester's deadline from its timeout header; undefined when absent or malformed. */
function deadlineOf(h: MsgHdrs | undefined): number | undefined {
  const ms = Number(h?.get(TIMEOUT_HEADER) || NaN);
  return Number.isFinite(ms) && ms > 0 ? Date.now() + ms : undefined;
}

/** nats.js options for the configured credentials; a `.creds` file is read here, so a rotated one is picked up on restart. */
function connectionOptions(c: NatsConnectionSettings = {}): Partial<ConnectionOptions> {
  const { credsFile, ...rest } = c;
  return credsFile ? { ...rest, authenticator: credsAuthenticator(readFileSync(credsFile)) } : rest;
}

function isNoResponders(err: unknown): boolean {
  return (err as { code?: string })?.code === NatsErrorCode.NoResponders;
}

function safeJson(data: Uint8Array): unknown {
  try {
    return codec.decode(data);
  } catch {
    return undefined;
  }
}

function headersToObject(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const k of h.keys()) out[k] = h.get(k);
  return out;
}

export type { HeadersOf };

/**
 * Whether a request failed because no service listens on its subject (none running, or restarting),
 * as opposed to a late answer or an error reply: only then has no responder seen the request.
 */
export function isNoRespondersFailure(err: unknown): boolean {
  return err instanceof GlimpseError && err.code === 'SERVICE_UNAVAILABLE' && isNoResponders(err.cause);
}
