import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';
import type { GatewayConfig } from './config';
import type { StreamsService } from './streams.service';
import { WsGateway } from './ws.gateway';

class FakeSocket extends EventEmitter {
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
  const gw = new WsGateway({} as never, cfg, {} as never, {} as StreamsService);
  const internals = gw as unknown as {
    accept(ws: FakeSocket, req: unknown): void;
    publish(topic: string, message: string): void;
    checkAlive(): void;
  };
  const connect = () => {
    const ws = new FakeSocket();
    internals.accept(ws, { socket: {} });
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
