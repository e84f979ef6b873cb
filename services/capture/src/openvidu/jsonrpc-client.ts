import { EventEmitter } from 'node:events';
import WebSocket from 'ws';

/** An error answer from the server (`{error: {code, message, data}}`). */
export class JsonRpcError extends Error {
  override readonly name = 'JsonRpcError';
  constructor(
    readonly method: string,
    readonly code: number | undefined,
    message: string,
    readonly data?: unknown,
  ) {
    super(`${method}: ${message}${code !== undefined ? ` (code ${code})` : ''}`);
  }
}

export interface JsonRpcOptions {
  /** How long the WebSocket may take to open (ms). */
  connectTimeoutMs: number;
  /** Default per-request timeout (ms). */
  requestTimeoutMs: number;
  /** Accept self-signed certificates (OpenVidu's default `selfsigned` deployments). */
  insecureTls?: boolean;
}

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface JsonRpcClientEvents {
  notification: [method: string, params: Record<string, unknown>];
  /** The socket closed; `byUs` when `close()` was called. */
  close: [info: { code: number; reason: string; byUs: boolean }];
}

/**
 * JSON-RPC 2.0 over one WebSocket, the way OpenVidu 2.x's server (kurento-jsonrpc) speaks it:
 * incrementing numeric ids, a timeout per request, server notifications as events, and the
 * `ping` heartbeat the server expects from every participant.
 */
export class JsonRpcClient extends EventEmitter<JsonRpcClientEvents> {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private pinger?: NodeJS.Timeout;
  private closedByUs = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly opts: JsonRpcOptions,
  ) {
    super();
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
    ws.on('error', () => undefined); // 'close' follows and carries the outcome
  }

  static connect(url: string, opts: JsonRpcOptions): Promise<JsonRpcClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { handshakeTimeout: opts.connectTimeoutMs, rejectUnauthorized: !opts.insecureTls });
      const fail = (err: Error) => {
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        ws.terminate();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new Error(`no WebSocket connection to ${url} within ${opts.connectTimeoutMs} ms`)),
        opts.connectTimeoutMs,
      );
      ws.once('open', () => {
        clearTimeout(timer);
        ws.removeAllListeners();
        resolve(new JsonRpcClient(ws, opts));
      });
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        fail(new Error(`WebSocket ${url} answered HTTP ${res.statusCode}`));
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        fail(new Error(`cannot open WebSocket ${url}: ${describe(err)}`));
      });
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  request<T = Record<string, unknown>>(
    method: string,
    params?: Record<string, unknown>,
    timeoutMs = this.opts.requestTimeoutMs,
  ): Promise<T> {
    if (!this.isOpen) return Promise.reject(new Error(`${method}: the WebSocket is closed`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      const msg = { jsonrpc: '2.0', id, method, ...(params ? { params } : {}) };
      this.ws.send(JSON.stringify(msg), (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new Error(`${method}: cannot send: ${err.message}`));
      });
    });
  }

  /**
   * OpenVidu's heartbeat, as openvidu-browser sends it: the first ping announces the interval
   * (the server drops a participant that goes quiet for longer), the rest follow on a timer.
   */
  async startHeartbeat(announcedIntervalMs = 5000, everyMs = 3000): Promise<void> {
    await this.request('ping', { interval: announcedIntervalMs });
    this.pinger = setInterval(() => {
      this.request('ping').catch(() => undefined); // a lost ping is not fatal; a lost socket says so itself
    }, everyMs);
    this.pinger.unref();
  }

  close(): void {
    this.closedByUs = true;
    clearInterval(this.pinger);
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    // a server that never answers the close frame must not keep the socket alive
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  private onMessage(text: string): void {
    let msg: {
      id?: unknown;
      method?: unknown;
      params?: unknown;
      result?: unknown;
      error?: { code?: number; message?: string; data?: unknown };
    };
    try {
      msg = JSON.parse(text);
    } catch {
      return; // not JSON: nothing we could answer or act on
    }
    if (typeof msg.method === 'string' && msg.id === undefined) {
      const params =
        typeof msg.params === 'object' && msg.params !== null ? (msg.params as Record<string, unknown>) : {};
      this.emit('notification', msg.method, params);
      return;
    }
    const id = typeof msg.id === 'number' ? msg.id : Number(msg.id);
    const p = this.pending.get(id);
    if (!p) return; // late answer to a request that already timed out
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (msg.error) p.reject(new JsonRpcError(p.method, msg.error.code, msg.error.message ?? 'error', msg.error.data));
    else p.resolve(msg.result ?? {});
  }

  private onClose(code: number, reason: string): void {
    clearInterval(this.pinger);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`${p.method}: the WebSocket closed (${code}${reason ? ` ${reason}` : ''})`));
      this.pending.delete(id);
    }
    this.emit('close', { code, reason, byUs: this.closedByUs });
  }
}

function describe(err: Error): string {
  const code = (err as { code?: string }).code;
  return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}
