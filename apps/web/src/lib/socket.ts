import type { ServerMessage } from './types';

/** `ws://host/ws` or `wss://host/ws` for the page's origin, with the session token when there is one. */
export function wsUrl(loc: { protocol: string; host: string }, token?: string | null): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

/** Exponential backoff: 0.5 s, 1 s, 2 s … capped at 10 s, with up to 20% jitter. */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  baseMs = 500,
  maxMs = 10_000,
): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(raw * (1 + 0.2 * random()));
}

/** Parses one server message; anything that is not a known JSON message is ignored (null). */
export function parseServerMessage(data: unknown): ServerMessage | null {
  if (typeof data !== 'string') return null;
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch {
    return null;
  }
  if (!msg || typeof msg !== 'object') return null;
  const m = msg as Record<string, unknown>;
  switch (m.type) {
    case 'recognition':
      if (typeof m.streamId !== 'string' || !m.frame || typeof m.frame !== 'object' || !Array.isArray(m.faces))
        return null;
      return msg as ServerMessage;
    case 'stream':
      if (!m.stream || typeof m.stream !== 'object' || typeof (m.stream as { id?: unknown }).id !== 'string')
        return null;
      return msg as ServerMessage;
    case 'error':
      return {
        type: 'error',
        message: typeof m.message === 'string' ? m.message : 'unknown error',
        ...(m.code === 'UNAUTHORIZED' || m.code === 'FORBIDDEN' ? { code: m.code } : {}),
        ...(typeof m.streamId === 'string' ? { streamId: m.streamId } : {}),
      };
    case 'subscribed':
    case 'unsubscribed':
      return typeof m.streamId === 'string' ? (msg as ServerMessage) : null;
    case 'pong':
      return { type: 'pong' };
    default:
      return null;
  }
}

export type SocketState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The part of the browser WebSocket this client uses (a fake in tests). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface SocketOptions {
  url: string;
  onMessage: (msg: ServerMessage) => void;
  onState?: (state: SocketState) => void;
  create?: (url: string) => WebSocketLike;
  timers?: { setTimeout: (fn: () => void, ms: number) => unknown; clearTimeout: (id: unknown) => void };
  random?: () => number;
}

const OPEN = 1;

/**
 * A WebSocket to `/ws` that keeps its subscriptions: it resubscribes after every reconnect and
 * reconnects with backoff whenever the connection drops, until `close()`.
 */
export class ResultsSocket {
  private ws: WebSocketLike | null = null;
  private readonly topics = new Set<string>();
  private attempt = 0;
  private timer: unknown = null;
  private closed = false;
  private everOpened = false;
  private _state: SocketState = 'idle';
  private readonly create: (url: string) => WebSocketLike;
  private readonly timers: NonNullable<SocketOptions['timers']>;

  constructor(private readonly opts: SocketOptions) {
    this.create = opts.create ?? ((url) => new WebSocket(url) as unknown as WebSocketLike);
    this.timers = opts.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
    };
  }

  get state(): SocketState {
    return this._state;
  }

  /** Opens the connection (idempotent). */
  connect(): void {
    if (this.closed || this.ws) return;
    this.setState(this.everOpened || this.attempt > 0 ? 'reconnecting' : 'connecting');
    let ws: WebSocketLike;
    try {
      ws = this.create(this.opts.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.everOpened = true;
      this.setState('open');
      for (const t of this.topics) this.sendRaw({ type: 'subscribe', streamId: t });
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      const msg = parseServerMessage(ev.data);
      if (msg) this.opts.onMessage(msg);
    };
    ws.onerror = () => {
      /* a close event always follows */
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.scheduleReconnect();
    };
  }

  subscribe(streamId: string): void {
    this.topics.add(streamId);
    if (this.ws?.readyState === OPEN) this.sendRaw({ type: 'subscribe', streamId });
    else this.connect();
  }

  unsubscribe(streamId: string): void {
    if (!this.topics.delete(streamId)) return;
    if (this.ws?.readyState === OPEN) this.sendRaw({ type: 'unsubscribe', streamId });
  }

  /** Closes for good: no more reconnects. */
  close(): void {
    this.closed = true;
    if (this.timer != null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      ws.onopen = null;
      try {
        ws.close(1000, 'done');
      } catch {
        /* already closed */
      }
    }
    this.setState('closed');
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    this.setState('reconnecting');
    const delay = backoffDelay(this.attempt++, this.opts.random);
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  private sendRaw(msg: object): void {
    try {
      this.ws?.send(JSON.stringify(msg));
    } catch {
      /* the close handler reconnects */
    }
  }

  private setState(s: SocketState): void {
    if (s === this._state) return;
    this._state = s;
    this.opts.onState?.(s);
  }
}
