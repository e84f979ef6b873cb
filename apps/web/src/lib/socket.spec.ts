import { backoffDelay, parseServerMessage, ResultsSocket, wsUrl, type WebSocketLike } from './socket';

class FakeWs implements WebSocketLike {
  static all: FakeWs[] = [];
  readyState = 0;
  sent: unknown[] = [];
  onopen: WebSocketLike['onopen'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  closedWith: number | null = null;
  constructor(readonly url: string) {
    FakeWs.all.push(this);
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000) {
    this.closedWith = code;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop() {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }
  receive(msg: unknown) {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) });
  }
}

function fakeTimers() {
  const pending: { fn: () => void; ms: number; id: number }[] = [];
  let next = 1;
  return {
    pending,
    timers: {
      setTimeout: (fn: () => void, ms: number) => {
        const id = next++;
        pending.push({ fn, ms, id });
        return id;
      },
      clearTimeout: (id: unknown) => {
        const i = pending.findIndex((p) => p.id === id);
        if (i >= 0) pending.splice(i, 1);
      },
    },
    runNext() {
      const p = pending.shift();
      p?.fn();
      return p?.ms;
    },
  };
}

beforeEach(() => (FakeWs.all = []));

describe('wsUrl and backoff', () => {
  it('follows the page protocol and carries the token', () => {
    expect(wsUrl({ protocol: 'http:', host: 'localhost:3000' })).toBe('ws://localhost:3000/ws');
    expect(wsUrl({ protocol: 'https:', host: 'glimpse.example' }, 'a b')).toBe('wss://glimpse.example/ws?token=a%20b');
  });

  it('doubles up to a cap, with jitter', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, () => 0))).toEqual([500, 1000, 2000, 4000, 10_000]);
    expect(backoffDelay(0, () => 1)).toBe(600);
  });
});

describe('parseServerMessage', () => {
  it('accepts the known messages and ignores the rest', () => {
    const rec = {
      type: 'recognition',
      streamId: 's',
      frame: { source: 's', seq: 1, capturedAt: '', width: 1, height: 1 },
      faces: [],
    };
    expect(parseServerMessage(JSON.stringify(rec))).toEqual(rec);
    expect(parseServerMessage(JSON.stringify({ type: 'stream', stream: { id: 's' } }))).toMatchObject({
      type: 'stream',
    });
    expect(parseServerMessage(JSON.stringify({ type: 'error' }))).toEqual({ type: 'error', message: 'unknown error' });
    const forbidden = { type: 'error', code: 'FORBIDDEN', streamId: 'cam-2', message: 'not your stream' };
    expect(parseServerMessage(JSON.stringify(forbidden))).toEqual(forbidden);
    expect(parseServerMessage(JSON.stringify({ type: 'error', code: 42, message: 'x' }))).toEqual({
      type: 'error',
      message: 'x',
    });
    expect(parseServerMessage(JSON.stringify({ type: 'subscribed', streamId: 's' }))).toEqual({
      type: 'subscribed',
      streamId: 's',
    });
    expect(parseServerMessage(JSON.stringify({ type: 'pong' }))).toEqual({ type: 'pong' });
    expect(parseServerMessage('not json')).toBeNull();
    expect(parseServerMessage(JSON.stringify({ type: 'recognition', streamId: 's' }))).toBeNull();
    expect(parseServerMessage(JSON.stringify({ type: 'stream', stream: {} }))).toBeNull();
    expect(parseServerMessage(JSON.stringify({ type: 'other' }))).toBeNull();
    expect(parseServerMessage(new ArrayBuffer(1))).toBeNull();
  });
});

describe('ResultsSocket', () => {
  it('subscribes once open, and again after every reconnect, with growing delays', () => {
    const t = fakeTimers();
    const states: string[] = [];
    const got: unknown[] = [];
    const s = new ResultsSocket({
      url: 'ws://h/ws?token=t',
      create: (u) => new FakeWs(u),
      timers: t.timers,
      random: () => 0,
      onMessage: (m) => got.push(m),
      onState: (x) => states.push(x),
    });
    s.subscribe('cam-1');
    const ws1 = FakeWs.all[0];
    expect(ws1.url).toBe('ws://h/ws?token=t');
    expect(ws1.sent).toEqual([]);
    ws1.open();
    expect(ws1.sent).toEqual([{ type: 'subscribe', streamId: 'cam-1' }]);
    ws1.receive({ type: 'stream', stream: { id: 'cam-1', state: 'running' } });
    ws1.receive('garbage');
    expect(got).toHaveLength(1);

    ws1.drop();
    expect(s.state).toBe('reconnecting');
    expect(t.runNext()).toBe(500);
    const ws2 = FakeWs.all[1];
    ws2.drop();
    expect(t.runNext()).toBe(1000);
    const ws3 = FakeWs.all[2];
    ws3.open();
    expect(ws3.sent).toEqual([{ type: 'subscribe', streamId: 'cam-1' }]);
    ws3.drop();
    expect(t.runNext()).toBe(500); // a successful open resets the backoff
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open', 'reconnecting']);
  });

  it('unsubscribes, and stops for good on close', () => {
    const t = fakeTimers();
    const s = new ResultsSocket({
      url: 'ws://h/ws',
      create: (u) => new FakeWs(u),
      timers: t.timers,
      onMessage: () => undefined,
    });
    s.subscribe('a');
    const ws = FakeWs.all[0];
    ws.open();
    s.subscribe('b');
    s.unsubscribe('a');
    s.unsubscribe('zzz');
    expect(ws.sent).toEqual([
      { type: 'subscribe', streamId: 'a' },
      { type: 'subscribe', streamId: 'b' },
      { type: 'unsubscribe', streamId: 'a' },
    ]);
    ws.drop();
    expect(t.pending).toHaveLength(1);
    s.close();
    expect(t.pending).toHaveLength(0);
    expect(s.state).toBe('closed');
    s.connect();
    expect(FakeWs.all).toHaveLength(1);
  });

  it('closes the open socket on close()', () => {
    const s = new ResultsSocket({
      url: 'ws://h/ws',
      create: (u) => new FakeWs(u),
      timers: fakeTimers().timers,
      onMessage: () => undefined,
    });
    s.connect();
    s.connect(); // idempotent
    expect(FakeWs.all).toHaveLength(1);
    FakeWs.all[0].open();
    s.close();
    expect(FakeWs.all[0].closedWith).toBe(1000);
  });
});
