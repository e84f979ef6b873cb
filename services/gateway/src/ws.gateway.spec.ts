import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';
import type { GatewayConfig } from './config';
import type { StreamsService } from './streams.service';
import type { LiveStreamWatch } from './sessions/live-watch.service';
import type { SessionService } from './sessions/session.service';
import type { AuthService } from './auth/auth.service';
import { WS_CLOSE_UNAUTHORIZED, WS_PRINCIPAL, WsGateway } from './ws.gateway';

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
  const gw = new WsGateway({} as never, cfg, {} as never, {} as StreamsService, sessions, {} as LiveStreamWatch, {} as AuthService);
  const internals = gw as unknown as {
    accept(ws: FakeSocket, req: unknown): void;
    publish(topic: string, message: string): void;
    checkAlive(): void;
  };
  const connect = (url = '/ws') => {
    const ws = new FakeSocket();
    internals.accept(ws, { socket: {}, url, ...(url.includes('token=') || url.includes('anon') ? {} : { [WS_PRINCIPAL]: { kind: 'key', keyId: 'k', scopes: ['read'] } }) });
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
  const last = (ws: FakeSocket) => JSON.parse(ws.sent.at(-1)!);

  it("gives a socket with a session token its own stream's results, and refuses every other stream", () => {
    const { internals, connect, say } = setup();
    const mine = connect('/ws?token=good');
    say(mine, { type: 'subscribe', streamId: 'live_mine' });
    expect(last(mine)).toEqual({ type: 'subscribed', streamId: 'live_mine' });
    for (const other of ['live_other', 's_upload123', '*']) {
      say(mine, { type: 'subscribe', streamId: other });
      expect(last(mine)).toMatchObject({ type: 'error', code: 'FORBIDDEN', streamId: other, message: expect.stringMatching(/allows only stream live_mine/) });
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
    expect(last(anon)).toMatchObject({ type: 'error', code: 'FORBIDDEN', message: expect.stringMatching(/need its session token/) });
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
    expect(last(bad)).toMatchObject({ type: 'error', code: 'UNAUTHORIZED', message: expect.stringMatching(/not valid/) });
    expect(bad.close).toHaveBeenCalledWith(WS_CLOSE_UNAUTHORIZED, 'invalid session token');
  });

  it('closes a socket with neither an API key, the UI cookie nor a session token', () => {
    const { connect, gw } = setup();
    const ws = connect('/ws?anon=1');
    expect(ws.close).toHaveBeenCalledWith(WS_CLOSE_UNAUTHORIZED, expect.any(String));
    expect(JSON.parse(ws.sent[0])).toMatchObject({ type: 'error', code: 'UNAUTHORIZED' });
    expect(gw.connectedClients).toBe(0);
  });
});
