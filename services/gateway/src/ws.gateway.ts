import type { IncomingMessage } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RecognitionEvent, StreamStatus, type Stream } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import type { Subscription } from 'nats';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { AuthService, type Principal } from './auth/auth.service';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { wsOriginAllowed } from './security/cors';
import { RateLimits, upgradeClientIp } from './security/limits';
import { LiveStreamWatch } from './sessions/live-watch.service';
import type { SessionClaims } from './sessions/session-token';
import { isLiveStream, SessionService } from './sessions/session.service';
import { StreamsService } from './streams.service';
import {
  MAX_CLIENT_MESSAGE_BYTES,
  parseClientMessage,
  recognitionMessage,
  serverMessage,
  streamMessage,
  type ClientMessage,
} from './ws.messages';

interface Client {
  ws: WebSocket;
  topics: Set<string>;
  alive: boolean;
  dropped: number;
  /** Set for `/ws?token=…`: such a socket may subscribe to its session's stream only. */
  session?: SessionClaims;
}

/** Close code for a socket whose `?token=` is not valid (4000–4999: application codes). */
export const WS_CLOSE_UNAUTHORIZED = 4401;

const MAX_TOPICS_PER_CLIENT = 64;

/** Where the upgrade check leaves the caller's API key / UI cookie principal on the request. */
export const WS_PRINCIPAL = Symbol('wsPrincipal');
type AuthedRequest = IncomingMessage & { [WS_PRINCIPAL]?: Principal };
type VerifyDone = (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;

/**
 * `/ws`: live recognition results and stream status. One bus subscription per event type fans
 * out to the sockets subscribed to that stream; a slow socket misses messages instead of
 * growing the gateway's memory. Live (camera) streams reach only sockets opened with their
 * session's token, so each browser sees its own results only; `*` excludes them.
 */
@Injectable()
export class WsGateway implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('WebSocket');
  private readonly clients = new Set<Client>();
  private readonly topics = new Map<string, Set<Client>>();
  private readonly subs: Subscription[] = [];
  private wss?: WebSocketServer;
  private unwatch?: () => void;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly adapterHost: HttpAdapterHost,
    private readonly streams: StreamsService,
    private readonly sessions: SessionService,
    private readonly watch: LiveStreamWatch,
    private readonly auth: AuthService,
    private readonly limits: RateLimits,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer();
    this.wss = new WebSocketServer({
      server,
      path: '/ws',
      maxPayload: MAX_CLIENT_MESSAGE_BYTES,
      // Looks up the API key (?key=, Authorization, X-API-Key) or UI cookie before the upgrade; a socket
      // without either (nor ?token=) is still upgraded, then told why and closed with 4401 (see accept).
      verifyClient: (info: { req: IncomingMessage; origin?: string }, done: VerifyDone) =>
        this.verifyUpgrade(info, done),
    });
    this.wss.on('connection', (ws, req) => this.accept(ws, req));
    this.wss.on('error', (err) => this.log.error(`WebSocket server: ${String(err)}`));
    this.subs.push(
      this.bus.subscribe(RecognitionEvent.contract, (p) => this.publish(p.frame.source, recognitionMessage(p))),
      this.bus.subscribe(StreamStatus.contract, (s: Stream) =>
        this.publish(s.id, streamMessage(this.streams.present(s))),
      ),
    );
    this.unwatch = this.watch.onLost((s) => this.publish(s.id, streamMessage(s)));
    this.heartbeat = setInterval(() => this.checkAlive(), this.cfg.WS_PING_INTERVAL_MS);
    this.heartbeat.unref();
  }

  /** Runs before the HTTP server closes, which would otherwise wait for open sockets. */
  onModuleDestroy(): void {
    this.unwatch?.();
    clearInterval(this.heartbeat);
    for (const s of this.subs) s.unsubscribe();
    for (const c of this.clients) c.ws.close(1001, 'server shutting down');
    setTimeout(() => this.clients.forEach((c) => c.ws.terminate()), 1000).unref();
    this.wss?.close();
  }

  get connectedClients(): number {
    return this.clients.size;
  }

  private verifyUpgrade(info: { req: IncomingMessage; origin?: string }, done: VerifyDone): void {
    const req = info.req as AuthedRequest;
    // a browser sends the UI cookie with a cross-site WebSocket too: only our own pages and CORS_ORIGINS may open one
    if (!wsOriginAllowed(info.origin, req.headers.host, this.cfg.CORS_ORIGINS)) {
      this.log.warn(
        `WebSocket from origin ${String(info.origin).slice(0, 200)} refused (not this host, not in CORS_ORIGINS)`,
      );
      return done(false, 403, 'origin not allowed');
    }
    // key guesses over /ws spend the same per-address budget as over HTTP (429 once it is spent)
    const ip = this.clientIp(req);
    const blocked = this.limits.wsBlocked(ip);
    if (blocked) return done(false, 429, blocked.detail, { 'Retry-After': String(blocked.retryAfterS) });
    this.auth
      .authenticate(req, true)
      .then((p) => {
        if (p) req[WS_PRINCIPAL] = p;
        else if (p === null) this.limits.failedAuthFrom(ip); // a credential was given, and it was wrong
      })
      .catch((err) => this.log.warn(`WebSocket authentication failed: ${String(err)}`))
      .finally(() => done(true));
  }

  private clientIp(req: IncomingMessage): string {
    return upgradeClientIp(req, this.adapterHost.httpAdapter?.getInstance?.() as { request?: object } | undefined);
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const client: Client = { ws, topics: new Set(), alive: true, dropped: 0 };
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
    if (token !== null) {
      try {
        client.session = this.sessions.verify(token);
      } catch (err) {
        this.limits.failedAuthFrom(this.clientIp(req));
        ws.send(serverMessage({ type: 'error', code: 'UNAUTHORIZED', message: (err as Error).message }));
        ws.close(WS_CLOSE_UNAUTHORIZED, 'invalid session token');
        return;
      }
    } else if (!(req as AuthedRequest)[WS_PRINCIPAL]) {
      const message = 'authentication required: sign in, or connect with ?key=<API key> (or ?token=<session token>)';
      ws.send(serverMessage({ type: 'error', code: 'UNAUTHORIZED', message }));
      ws.close(WS_CLOSE_UNAUTHORIZED, 'unauthorized');
      return;
    }
    this.clients.add(client);
    this.log.debug(`client connected from ${req.socket.remoteAddress}`);
    ws.on('pong', () => (client.alive = true));
    ws.on('message', (data: RawData, isBinary) => this.onMessage(client, data, isBinary));
    ws.on('error', (err) => this.log.debug(`client error: ${String(err)}`));
    ws.on('close', () => this.remove(client));
  }

  private onMessage(client: Client, data: RawData, isBinary: boolean): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    const parsed = parseClientMessage(bytes, isBinary);
    if (!parsed.ok) return this.send(client, serverMessage({ type: 'error', message: parsed.error }));
    this.apply(client, parsed.message);
  }

  private apply(client: Client, msg: ClientMessage): void {
    if (msg.type === 'ping') return this.send(client, serverMessage({ type: 'pong' }));
    if (msg.type === 'unsubscribe') {
      client.topics.delete(msg.streamId);
      this.topics.get(msg.streamId)?.delete(client);
      if (this.topics.get(msg.streamId)?.size === 0) this.topics.delete(msg.streamId);
      return this.send(client, serverMessage({ type: 'unsubscribed', streamId: msg.streamId }));
    }
    const denied = forbidden(client, msg.streamId);
    if (denied)
      return this.send(
        client,
        serverMessage({ type: 'error', code: 'FORBIDDEN', streamId: msg.streamId, message: denied }),
      );
    if (!client.topics.has(msg.streamId) && client.topics.size >= MAX_TOPICS_PER_CLIENT) {
      return this.send(
        client,
        serverMessage({ type: 'error', message: `at most ${MAX_TOPICS_PER_CLIENT} subscriptions per connection` }),
      );
    }
    client.topics.add(msg.streamId);
    const set = this.topics.get(msg.streamId) ?? new Set<Client>();
    set.add(client);
    this.topics.set(msg.streamId, set);
    this.send(client, serverMessage({ type: 'subscribed', streamId: msg.streamId }));
  }

  private publish(topic: string, message: string): void {
    const everything = isLiveStream(topic) ? [] : (this.topics.get('*') ?? []);
    const targets = new Set([...(this.topics.get(topic) ?? []), ...everything]);
    for (const c of targets) this.send(c, message);
  }

  private send(client: Client, message: string): void {
    if (client.ws.readyState !== WebSocket.OPEN) return;
    if (client.ws.bufferedAmount + message.length > this.cfg.WS_MAX_BUFFERED_BYTES) {
      if (client.dropped++ % 100 === 0) this.log.warn(`slow WebSocket client: dropped ${client.dropped} message(s)`);
      return;
    }
    client.ws.send(message);
  }

  private checkAlive(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  private remove(client: Client): void {
    this.clients.delete(client);
    for (const t of client.topics) {
      this.topics.get(t)?.delete(client);
      if (this.topics.get(t)?.size === 0) this.topics.delete(t);
    }
  }
}

/** Why a socket may not subscribe to `topic`, or null when it may. */
export function forbidden(client: Pick<Client, 'session'>, topic: string): string | null {
  if (client.session) {
    return topic === client.session.streamId
      ? null
      : `forbidden: this connection's session token allows only stream ${client.session.streamId}`;
  }
  return isLiveStream(topic) ? 'forbidden: results of a live stream need its session token (/ws?token=…)' : null;
}
