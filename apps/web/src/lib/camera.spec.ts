import { cameraErrorMessage, connectionState, LiveCamera, pcStateOf, type CameraDeps, type SocketLike } from './camera';
import type { SocketOptions, SocketState } from './socket';
import { makeFace, makeStream } from './testing';

/** A route that answers an RFC 9457 problem. */
const problem = (status: number, title: string, detail: string) => () =>
  new Response(JSON.stringify({ title, detail }), { status });

const ANSWER = 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\n';
const SESSION = {
  sessionId: 'ses-1',
  token: 'tok-1',
  expiresAt: '2026-01-01T13:00:00.000Z',
  streamId: 'cam-1',
  whipUrl: '/api/v1/whip/ses-1',
};

function fakeMedia() {
  const ended = new Set<() => void>();
  const state = { stopped: false };
  const track = {
    kind: 'video',
    state,
    stop: jest.fn((): void => void (state.stopped = true)),
    addEventListener: (_: string, fn: () => void) => ended.add(fn),
    end: () => ended.forEach((f) => f()),
  };
  const media = { getVideoTracks: () => [track], getTracks: () => [track] };
  return { media: media as unknown as MediaStream, track };
}

function fakePc() {
  const pc = {
    iceGatheringState: 'complete' as RTCIceGatheringState,
    connectionState: 'new' as RTCPeerConnectionState,
    iceConnectionState: 'new' as RTCIceConnectionState,
    localDescription: null as RTCSessionDescriptionInit | null,
    onconnectionstatechange: null as ((ev: Event) => void) | null,
    oniceconnectionstatechange: null as ((ev: Event) => void) | null,
    addEventListener: jest.fn(),
    removeEventListener: jest.fn(),
    addTransceiver: jest.fn(),
    createOffer: jest.fn(async () => ({ type: 'offer' as const, sdp: 'v=0\r\noffer\r\n' })),
    setLocalDescription: jest.fn(async (d: RTCSessionDescriptionInit) => void (pc.localDescription = d)),
    setRemoteDescription: jest.fn(async () => undefined),
    close: jest.fn(() => void (pc.connectionState = 'closed')),
    become(state: RTCPeerConnectionState) {
      pc.connectionState = state;
      pc.onconnectionstatechange?.({} as Event);
    },
  };
  return pc;
}

class FakeSocket implements SocketLike {
  state: SocketState = 'connecting';
  topics: string[] = [];
  closed = false;
  constructor(readonly opts: SocketOptions) {}
  subscribe(id: string) {
    this.topics.push(id);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.state = 'open';
    this.opts.onState?.('open');
  }
  emit(msg: Parameters<SocketOptions['onMessage']>[0]) {
    this.opts.onMessage(msg);
  }
}

type Route = (init: RequestInit) => Response | Promise<Response>;

function fakeOpenVidu() {
  const log: string[] = [];
  const handlers = new Map<string, (ev: { reason?: string }) => void>();
  const publisher = { stream: { getMediaStream: () => null } };
  const session = {
    connect: jest.fn(async (token: string) => void log.push(`connect ${token}`)),
    publish: jest.fn(async () => void log.push('publish')),
    unpublish: jest.fn(() => void log.push('unpublish')),
    disconnect: jest.fn(() => void log.push('disconnect')),
    on: jest.fn((ev: string, fn: (ev: { reason?: string }) => void) => handlers.set(ev, fn)),
  };
  const initPublisherAsync = jest.fn(async () => {
    log.push('initPublisher');
    return publisher;
  });
  class FakeOV {
    initSession = () => session;
    initPublisherAsync = initPublisherAsync;
    enableProdMode = () => undefined;
  }
  return {
    FakeOV,
    session,
    publisher,
    initPublisherAsync,
    log,
    fire: (ev: string, reason?: string) => handlers.get(ev)?.({ reason }),
  };
}

function setup(
  over: {
    routes?: Record<string, Route>;
    getUserMedia?: CameraDeps['getUserMedia'];
    loadOpenVidu?: CameraDeps['loadOpenVidu'];
  } = {},
) {
  const { media, track } = fakeMedia();
  const pc = fakePc();
  const sockets: FakeSocket[] = [];
  const calls: { method: string; url: string; init: RequestInit }[] = [];
  let now = Date.parse('2026-01-01T12:00:00.000Z');
  const routes: Record<string, Route> = {
    'POST /api/v1/sessions': () =>
      new Response(JSON.stringify(SESSION), { status: 201, headers: { 'Content-Type': 'application/json' } }),
    'POST /api/v1/whip/ses-1': () =>
      new Response(ANSWER, { status: 201, headers: { Location: '/api/v1/whip/ses-1/res-1' } }),
    'DELETE http://localhost:3000/api/v1/whip/ses-1/res-1': () => new Response(null, { status: 200 }),
    'PATCH /api/v1/streams/cam-1': () => new Response('{}', { status: 200 }),
    ...over.routes,
  };
  const deps: CameraDeps = {
    fetch: jest.fn(async (url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      calls.push({ method, url, init });
      const route = routes[`${method} ${url}`];
      if (!route) return new Response(JSON.stringify({ detail: `no route ${method} ${url}` }), { status: 404 });
      return route(init);
    }),
    getUserMedia: over.getUserMedia === undefined ? jest.fn(async () => media) : over.getUserMedia,
    createPeerConnection: () => pc as never,
    createSocket: (opts) => {
      const s = new FakeSocket(opts);
      sockets.push(s);
      return s;
    },
    location: { protocol: 'http:', host: 'localhost:3000', href: 'http://localhost:3000/' },
    now: () => now,
    loadOpenVidu: over.loadOpenVidu ?? jest.fn(async () => Promise.reject(new Error('not in WHIP mode'))),
  };
  const cam = new LiveCamera(deps);
  return { cam, deps, pc, media, track, sockets, calls, tick: (ms: number) => (now += ms), now: () => now };
}

describe('connectionState', () => {
  it('summarises the phase, the peer connection and the socket', () => {
    expect(connectionState('idle', null, 'idle')).toBe('idle');
    expect(connectionState('starting', 'new', 'idle')).toBe('connecting');
    expect(connectionState('live', 'connecting', 'open')).toBe('connecting');
    expect(connectionState('live', 'connected', 'open')).toBe('live');
    expect(connectionState('live', 'connected', 'reconnecting')).toBe('reconnecting');
    expect(connectionState('live', 'disconnected', 'open')).toBe('reconnecting');
    expect(connectionState('live', 'failed', 'open')).toBe('error');
    expect(connectionState('error', null, 'idle')).toBe('error');
  });

  it('falls back to the ICE state', () => {
    expect(pcStateOf({ iceConnectionState: 'completed' })).toBe('connected');
    expect(pcStateOf({ iceConnectionState: 'checking' })).toBe('connecting');
    expect(pcStateOf({ connectionState: 'failed', iceConnectionState: 'connected' })).toBe('failed');
  });

  it('explains camera failures', () => {
    expect(cameraErrorMessage({ name: 'NotAllowedError' }).title).toBe('Camera blocked');
    expect(cameraErrorMessage({ name: 'NotFoundError' }).title).toBe('No camera');
    expect(cameraErrorMessage({ name: 'NotReadableError' }).title).toBe('Camera busy');
    expect(cameraErrorMessage(new Error('weird'))).toMatchObject({ title: 'Camera error', detail: 'weird' });
  });
});

describe('LiveCamera', () => {
  it('starts: camera, session with the threshold, WHIP publish, results socket', async () => {
    const t = setup();
    const phases: string[] = [];
    t.cam.subscribe(() => phases.push(t.cam.getSnapshot().phase));
    await t.cam.start(0.55);

    expect(t.deps.getUserMedia).toHaveBeenCalledWith({
      video: { width: 640, height: 480, frameRate: 30 },
      audio: false,
    });
    expect(t.calls[0]).toMatchObject({ method: 'POST', url: '/api/v1/sessions', init: { body: '{"threshold":0.55}' } });
    expect(t.calls[1]).toMatchObject({
      method: 'POST',
      url: '/api/v1/whip/ses-1',
      init: { headers: { 'Content-Type': 'application/sdp', Authorization: 'Bearer tok-1' }, body: 'v=0\r\noffer\r\n' },
    });
    expect(t.pc.addTransceiver).toHaveBeenCalledWith(t.track, { direction: 'sendonly', streams: [t.media] });
    expect(t.pc.setRemoteDescription).toHaveBeenCalledWith({ type: 'answer', sdp: ANSWER });
    expect(t.sockets[0].opts.url).toBe('ws://localhost:3000/ws?token=tok-1');
    expect(t.sockets[0].topics).toEqual(['cam-1']);

    const s = t.cam.getSnapshot();
    expect(s).toMatchObject({ phase: 'live', connection: 'connecting', media: t.media, session: SESSION, error: null });
    expect(phases[0]).toBe('starting');

    t.pc.become('connected');
    t.sockets[0].open();
    expect(t.cam.getSnapshot().connection).toBe('live');
  });

  it('sends an empty body without a threshold', async () => {
    const t = setup();
    await t.cam.start();
    expect(t.calls[0].init.body).toBe('{}');
  });

  it('hands results to listeners and measures rate and latency', async () => {
    const t = setup();
    await t.cam.start();
    const seen: number[] = [];
    t.cam.onRecognition((m) => seen.push(m.frame.seq));
    const frame = (seq: number) => ({
      source: 'cam-1',
      seq,
      capturedAt: new Date(t.now() - 300).toISOString(),
      width: 640,
      height: 480,
    });
    t.sockets[0].emit({ type: 'recognition', streamId: 'cam-1', frame: frame(1), faces: [makeFace()] });
    t.tick(500);
    t.sockets[0].emit({ type: 'recognition', streamId: 'cam-1', frame: frame(2), faces: [makeFace()] });
    t.sockets[0].emit({ type: 'recognition', streamId: 'other', frame: frame(3), faces: [makeFace()] });
    expect(seen).toEqual([1, 2]);
    const m = t.cam.metrics();
    expect(m.latencyMs).toBeCloseTo(300);
    expect(m.fps).toBeCloseTo(1); // 2 frames within the 1 s minimum span
    /** The stream's counters after `n` frames, all processed. */
    const processed = (n: number) =>
      t.sockets[0].emit({
        type: 'stream',
        stream: makeStream({ framesCaptured: n, framesProcessed: n }),
      });
    processed(10);
    t.tick(2000);
    processed(14);
    expect(t.cam.metrics().fps).toBeCloseTo(2);
    expect(t.cam.getSnapshot().stream?.framesProcessed).toBe(14);
  });

  it('PATCHes the threshold while live, with the token', async () => {
    const t = setup();
    await t.cam.setThreshold(0.5); // not live: nothing
    expect(t.calls).toHaveLength(0);
    await t.cam.start();
    await t.cam.setThreshold(0.45);
    const patch = t.calls[t.calls.length - 1];
    expect(patch).toMatchObject({
      method: 'PATCH',
      url: '/api/v1/streams/cam-1',
      init: { body: '{"threshold":0.45}' },
    });
    expect((patch.init.headers as Record<string, string>).Authorization).toBe('Bearer tok-1');
  });

  it('shows a failed threshold change without stopping', async () => {
    const t = setup({ routes: { 'PATCH /api/v1/streams/cam-1': problem(400, 'Bad Request', 'threshold: too big') } });
    await t.cam.start();
    await t.cam.setThreshold(0.9);
    expect(t.cam.getSnapshot()).toMatchObject({ phase: 'live', error: { detail: 'threshold: too big' } });
  });

  it('stops: DELETE the WHIP resource with the token, close, release the camera', async () => {
    const t = setup();
    await t.cam.start();
    await t.cam.stop();
    const del = t.calls[t.calls.length - 1];
    expect(del).toMatchObject({
      method: 'DELETE',
      url: 'http://localhost:3000/api/v1/whip/ses-1/res-1',
      init: { headers: { Authorization: 'Bearer tok-1' } },
    });
    expect(t.pc.close).toHaveBeenCalled();
    expect(t.track.stop).toHaveBeenCalled();
    expect(t.sockets[0].closed).toBe(true);
    expect(t.cam.getSnapshot()).toMatchObject({
      phase: 'idle',
      connection: 'idle',
      media: null,
      session: null,
      error: null,
    });
  });

  it('explains a blocked camera and creates no session', async () => {
    const t = setup({
      getUserMedia: jest.fn().mockRejectedValue(Object.assign(new Error('denied'), { name: 'NotAllowedError' })),
    });
    await t.cam.start();
    expect(t.calls).toHaveLength(0);
    expect(t.cam.getSnapshot()).toMatchObject({
      phase: 'error',
      connection: 'error',
      error: { title: 'Camera blocked', restartable: true },
    });
  });

  it('needs a secure context for the camera', async () => {
    const t = setup({ getUserMedia: null });
    await t.cam.start();
    expect(t.cam.getSnapshot().error).toMatchObject({ title: 'Camera unavailable', restartable: false });
  });

  it('shows the WHIP problem detail and releases everything', async () => {
    const t = setup({ routes: { 'POST /api/v1/whip/ses-1': problem(401, 'Unauthorized', 'token expired') } });
    await t.cam.start();
    expect(t.cam.getSnapshot()).toMatchObject({
      phase: 'error',
      error: { title: 'Unauthorized', detail: 'token expired', restartable: true },
      media: null,
    });
    expect(t.track.stop).toHaveBeenCalled();
    expect(t.pc.close).toHaveBeenCalled();
    expect(t.sockets).toHaveLength(0);
  });

  it('shows a session creation failure', async () => {
    const t = setup({ routes: { 'POST /api/v1/sessions': problem(503, 'Service Unavailable', 'capture is down') } });
    await t.cam.start();
    expect(t.cam.getSnapshot().error).toMatchObject({ detail: 'capture is down' });
    expect(t.track.stop).toHaveBeenCalled();
  });

  it('offers a restart when the connection fails, and warns while it is disconnected', async () => {
    const t = setup();
    await t.cam.start();
    t.pc.become('connected');
    t.pc.become('disconnected');
    expect(t.cam.getSnapshot()).toMatchObject({ connection: 'reconnecting', error: { title: 'Connection unstable' } });
    t.pc.become('connected');
    expect(t.cam.getSnapshot().error).toBeNull();
    t.pc.become('failed');
    await new Promise((r) => setTimeout(r, 0));
    expect(t.cam.getSnapshot()).toMatchObject({
      phase: 'error',
      error: { title: 'Connection lost', restartable: true },
    });
    expect(t.calls.some((c) => c.method === 'DELETE')).toBe(true);
  });

  it('stops when the server ends the stream', async () => {
    const t = setup();
    await t.cam.start();
    t.sockets[0].emit({
      type: 'stream',
      stream: makeStream({ state: 'failed', error: 'decoder crashed', framesCaptured: 1, framesProcessed: 1 }),
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(t.cam.getSnapshot()).toMatchObject({
      phase: 'error',
      error: { title: 'Live stream failed', detail: 'decoder crashed' },
    });
  });

  it('stops when the camera track ends', async () => {
    const t = setup();
    await t.cam.start();
    t.track.end();
    await new Promise((r) => setTimeout(r, 0));
    expect(t.cam.getSnapshot()).toMatchObject({ phase: 'error', error: { title: 'Camera stopped' } });
  });

  it('a stop during start publishes nothing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = setup({
      routes: {
        'POST /api/v1/sessions': async () => {
          await gate;
          return new Response(JSON.stringify(SESSION), { status: 201 });
        },
      },
    });
    const starting = t.cam.start();
    await new Promise((r) => setTimeout(r, 0));
    await t.cam.stop();
    release();
    await starting;
    expect(t.calls.map((c) => c.url)).toEqual(['/api/v1/sessions']);
    expect(t.track.stop).toHaveBeenCalled();
    expect(t.cam.getSnapshot().phase).toBe('idle');
  });

  it('ignores start while already live, and restarts', async () => {
    const t = setup();
    await t.cam.start();
    await t.cam.start();
    expect(t.calls.filter((c) => c.url === '/api/v1/sessions')).toHaveLength(1);
    await t.cam.restart(0.7);
    expect(t.calls.filter((c) => c.url === '/api/v1/sessions')).toHaveLength(2);
    expect(t.cam.getSnapshot().phase).toBe('live');
  });

  it('pagehide: DELETE with keepalive', async () => {
    const t = setup();
    await t.cam.start();
    t.cam.dispose();
    const del = t.calls[t.calls.length - 1];
    expect(del).toMatchObject({ method: 'DELETE', init: { keepalive: true } });
    expect(t.track.stop).toHaveBeenCalled();
  });
});

describe('LiveCamera in OpenVidu mode', () => {
  const OV_SESSION = {
    ...SESSION,
    whipUrl: undefined,
    mode: 'openvidu',
    openvidu: { sessionId: 'ov-1', token: 'wss://ov/openvidu?sessionId=ov-1&token=pub', serverUrl: 'https://ov' },
  };
  const ovRoutes = { 'POST /api/v1/sessions': () => new Response(JSON.stringify(OV_SESSION), { status: 201 }) };

  it('publishes the camera track with openvidu-browser instead of WHIP, results over the socket', async () => {
    const ov = fakeOpenVidu();
    const load = jest.fn(async () => ov.FakeOV as never);
    const t = setup({ routes: ovRoutes, loadOpenVidu: load });
    await t.cam.start(0.5);
    expect(load).toHaveBeenCalledTimes(1);
    expect(t.calls.map((c) => `${c.method} ${c.url}`)).toEqual(['POST /api/v1/sessions']); // no WHIP
    expect(ov.log).toEqual(['connect wss://ov/openvidu?sessionId=ov-1&token=pub', 'initPublisher', 'publish']);
    expect(ov.initPublisherAsync).toHaveBeenCalledWith(undefined, {
      audioSource: false,
      videoSource: t.track,
      publishAudio: false,
      publishVideo: true,
      resolution: '640x480',
      frameRate: 30,
      mirror: false,
    });
    expect(t.sockets[0].opts.url).toBe('ws://localhost:3000/ws?token=tok-1');
    expect(t.sockets[0].topics).toEqual(['cam-1']);
    t.sockets[0].open();
    expect(t.cam.getSnapshot()).toMatchObject({ phase: 'live', connection: 'live', media: t.media });

    await t.cam.stop();
    expect(ov.log.slice(-2)).toEqual(['unpublish', 'disconnect']);
    expect(t.calls.some((c) => c.method === 'DELETE')).toBe(false);
    expect(t.track.stop).toHaveBeenCalled();
    expect(t.cam.getSnapshot()).toMatchObject({ phase: 'idle', media: null });
  });

  it('WHIP sessions never load openvidu-browser', async () => {
    const load = jest.fn(async () => fakeOpenVidu().FakeOV as never);
    const t = setup({ loadOpenVidu: load });
    await t.cam.start();
    expect(load).not.toHaveBeenCalled();
    expect(t.cam.getSnapshot().phase).toBe('live');
  });

  it('explains a failed load or connect and releases the camera', async () => {
    const t = setup({ routes: ovRoutes, loadOpenVidu: jest.fn().mockRejectedValue(new Error('404')) });
    await t.cam.start();
    expect(t.cam.getSnapshot()).toMatchObject({
      phase: 'error',
      error: { title: 'OpenVidu unavailable', restartable: true },
      media: null,
    });
    expect(t.track.stop).toHaveBeenCalled();

    const ov = fakeOpenVidu();
    ov.session.connect.mockRejectedValueOnce(new Error('token expired'));
    const t2 = setup({ routes: ovRoutes, loadOpenVidu: async () => ov.FakeOV as never });
    await t2.cam.start();
    expect(t2.cam.getSnapshot()).toMatchObject({ phase: 'error', error: { detail: 'token expired' } });
    expect(ov.session.disconnect).toHaveBeenCalled();
    expect(t2.sockets).toHaveLength(0);
  });

  it('offers a restart when OpenVidu drops the session, and shows reconnection', async () => {
    const ov = fakeOpenVidu();
    const t = setup({ routes: ovRoutes, loadOpenVidu: async () => ov.FakeOV as never });
    await t.cam.start();
    t.sockets[0].open();
    ov.fire('reconnecting');
    expect(t.cam.getSnapshot().connection).toBe('reconnecting');
    ov.fire('reconnected');
    expect(t.cam.getSnapshot().connection).toBe('live');
    ov.fire('sessionDisconnected', 'networkDisconnect');
    await new Promise((r) => setTimeout(r, 0));
    expect(t.cam.getSnapshot()).toMatchObject({
      phase: 'error',
      error: { title: 'Connection lost', restartable: true },
    });
  });
});
