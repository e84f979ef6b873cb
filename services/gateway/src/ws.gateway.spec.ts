import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';
import type { GatewayConfig } from './config';
import type { StreamsService } from './streams.service';
import type { LiveStreamWatch } from './sessions/live-watch.service';
import type { SessionService } from './sessions/session.service';
import type { AuthService } from './auth/auth.service';
import { RateLimits } from './security/limits';
import { WS_CLOSE_UNAUTHORIZED, WS_PRINCIPAL, WsGateway } from './ws.gateway';
import { serverMessageSchema } from './ws.messages';

class FakeSocket extends EventEmitter {
  close = jest.fn();
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
  sent: string[] = [];
  send(m: string) {
    this.sent.push(m);
  }
  ping = jest.fn();
  terminate = jest.fn();
}

function setup() {
  const cfg = { WS_MAX_BUFFERED_BYTES: 1000 } as GatewayConfig;
  const sessions = {
    verify: (token: string) => {
      if (token === 'good') return { sid: 'sess_12345678', streamId: 'live_mine', exp: 2e9 };
      throw new Error('the session token is not valid (wrong signature)');
    },
  } as unknown as SessionService;
  const limits = new RateLimits({
    RATE_LIMIT_AUTH_PER_MIN: 30,
    RATE_LIMIT_SESSIONS_PER_MIN: 10,
    RATE_LIMIT_API_PER_MIN: 600,
    RATE_LIMIT_MAX_CLIENTS: 100,
  });
  const gw = new WsGateway(
    {} as never,
    cfg,
    {} as never,
    {} as StreamsService,
    sessions,
    {} as LiveStreamWatch,
    {} as AuthService,
    limits,
  );
  const internals = gw as unknown as {
    accept(ws: FakeSocket, req: unknown): void;
    publish(topic: string, message: string): void;
    checkAlive(): void;
  };
  const connect = (url = '/ws') => {
    const ws = new FakeSocket();
    internals.accept(ws, {
      socket: {},
      url,
      ...(url.includes('token=') || url.includes('anon')
        ? {}
        : { [WS_PRINCIPAL]: { kind: 'key', keyId: 'k', scopes: ['read'] } }),
    });
    return ws;
  };
  const say = (ws: FakeSocket, msg: unknown) => ws.emit('message', Buffer.from(JSON.stringify(msg)), false);
  return { gw, internals, connect, say };
}

describe('WsGateway fan-out', () => {
  it('sends an event only to sockets subscribed to its stream (or to *)', () => {
    const { internals, connect, say } = setup();
    const a = connect();
    const b = connect();
    const all = connect();
    say(a, { type: 'subscribe', streamId: 'cam-1' });
    say(b, { type: 'subscribe', streamId: 'cam-2' });
    say(all, { type: 'subscribe', streamId: '*' });
    internals.publish('cam-1', 'event-1');
    expect(a.sent).toContain('event-1');
    expect(b.sent).not.toContain('event-1');
    expect(all.sent).toContain('event-1');
  });

  it('drops messages for a socket whose send buffer is full instead of queueing them', () => {
    const { internals, connect, say } = setup();
    const slow = connect();
    say(slow, { type: 'subscribe', streamId: 'cam-1' });
    slow.bufferedAmount = 990;
    internals.publish('cam-1', 'x'.repeat(20));
    expect(slow.sent.filter((m) => m.startsWith('x'))).toHaveLength(0);
    slow.bufferedAmount = 0;
    internals.publish('cam-1', 'x'.repeat(20));
    expect(slow.sent.filter((m) => m.startsWith('x'))).toHaveLength(1);
  });

  it('forgets closed sockets and terminates those that miss a pong', () => {
    const { gw, internals, connect, say } = setup();
    const ws = connect();
    say(ws, { type: 'subscribe', streamId: 'cam-1' });
    internals.checkAlive();
    expect(ws.ping).toHaveBeenCalled();
    internals.checkAlive(); // no pong in between
    expect(ws.terminate).toHaveBeenCalled();
    ws.emit('close');
    expect(gw.connectedClients).toBe(0);
    internals.publish('cam-1', 'late');
    expect(ws.sent).not.toContain('late');
  });
});

describe('WsGateway live sessions', () => {
  /** The last message sent, which must be one the schema (and so the web client's types) describes. */
  const last = (ws: FakeSocket) => serverMessageSchema.parse(JSON.parse(ws.sent.at(-1)!));

  it("gives a socket with a session token its own stream's results, and refuses every other stream", () => {
    const { internals, connect, say } = setup();
    const mine = connect('/ws?token=good');
    say(mine, { type: 'subscribe', streamId: 'live_mine' });
    expect(last(mine)).toEqual({ type: 'subscribed', streamId: 'live_mine' });
    for (const other of ['live_other', 's_upload123', '*']) {
      say(mine, { type: 'subscribe', streamId: other });
      expect(last(mine)).toMatchObject({
        type: 'error',
        code: 'FORBIDDEN',
        streamId: other,
        message: expect.stringMatching(/allows only stream live_mine/),
      });
    }
    internals.publish('live_mine', 'mine-1');
    internals.publish('live_other', 'other-1');
    expect(mine.sent).toContain('mine-1');
    expect(mine.sent).not.toContain('other-1');
  });

  it('refuses live streams to sockets without a token, and keeps them out of *', () => {
    const { internals, connect, say } = setup();
    const anon = connect();
    say(anon, { type: 'subscribe', streamId: 'live_mine' });
    expect(last(anon)).toMatchObject({
      type: 'error',
      code: 'FORBIDDEN',
      message: expect.stringMatching(/need its session token/),
    });
    say(anon, { type: 'subscribe', streamId: '*' });
    say(anon, { type: 'subscribe', streamId: 's_upload123' });
    internals.publish('live_mine', 'live-1');
    internals.publish('s_upload123', 'upload-1');
    expect(anon.sent).not.toContain('live-1');
    expect(anon.sent.filter((m) => m === 'upload-1')).toHaveLength(1);
  });

  it('closes a socket whose token is not valid, saying why', () => {
    const { connect } = setup();
    const bad = connect('/ws?token=forged');
    expect(last(bad)).toMatchObject({
      type: 'error',
      code: 'UNAUTHORIZED',
      message: expect.stringMatching(/not valid/),
    });
    expect(bad.close).toHaveBeenCalledWith(WS_CLOSE_UNAUTHORIZED, 'invalid session token');
  });

  it('closes a socket with neither an API key, the UI cookie nor a session token', () => {
    const { connect, gw } = setup();
    const ws = connect('/ws?anon=1');
    expect(ws.close).toHaveBeenCalledWith(WS_CLOSE_UNAUTHORIZED, expect.any(String));
    expect(serverMessageSchema.parse(JSON.parse(ws.sent[0]))).toMatchObject({ type: 'error', code: 'UNAUTHORIZED' });
    expect(gw.connectedClients).toBe(0);
  });
});

describe('WsGateway key guesses', () => {
  it('refuses the upgrade with 429 once an address has spent its failed-auth budget, like HTTP', async () => {
    const limits = new RateLimits({
      RATE_LIMIT_AUTH_PER_MIN: 30,
      RATE_LIMIT_SESSIONS_PER_MIN: 10,
      RATE_LIMIT_API_PER_MIN: 600,
      RATE_LIMIT_MAX_CLIENTS: 100,
    });
    const auth = { authenticate: async () => null } as unknown as AuthService; // every key is wrong
    const gw = new WsGateway(
      {} as never,
      { CORS_ORIGINS: [] } as unknown as GatewayConfig,
      {} as never,
      {} as StreamsService,
      {} as SessionService,
      {} as LiveStreamWatch,
      auth,
      limits,
    );
    const verify = (ip: string) =>
      new Promise<[boolean, number | undefined, Record<string, string> | undefined]>((resolve) =>
        (gw as unknown as { verifyUpgrade(info: unknown, done: unknown): void }).verifyUpgrade(
          { req: { headers: {}, url: '/ws?key=glk_wrong', socket: { remoteAddress: ip } } },
          (ok: boolean, code?: number, _message?: string, headers?: Record<string, string>) =>
            resolve([ok, code, headers]),
        ),
      );
    const answers = [];
    for (let i = 0; i < 32; i++) answers.push(await verify('203.0.113.7'));
    expect(answers.slice(0, 30).every(([ok]) => ok)).toBe(true); // upgraded, then closed with 4401 in accept()
    expect(answers.slice(30)).toEqual([
      [false, 429, { 'Retry-After': expect.stringMatching(/^\d+$/) }],
      [false, 429, { 'Retry-After': expect.stringMatching(/^\d+$/) }],
    ]);
    expect((await verify('203.0.113.8'))[0]).toBe(true); // another address is unaffected
    expect(limits.wsBlocked('203.0.113.7')).not.toBeNull(); // and HTTP from that address is refused too (same buckets)
  });
});
