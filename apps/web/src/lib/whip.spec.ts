import { resolveResourceUrl, waitForIceGathering, whipDelete, whipOffer, whipPublish } from './whip';

const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n';
const ANSWER = 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n';
const BASE = 'http://localhost:3000/';

function fakePc(initialGathering: RTCIceGatheringState = 'new') {
  const listeners = new Set<() => void>();
  const pc = {
    iceGatheringState: initialGathering,
    localDescription: null as RTCSessionDescriptionInit | null,
    remote: null as RTCSessionDescriptionInit | null,
    transceivers: [] as unknown[],
    addEventListener: (_: string, fn: () => void) => listeners.add(fn),
    removeEventListener: (_: string, fn: () => void) => listeners.delete(fn),
    addTransceiver: jest.fn((track: unknown, init: unknown): void => void pc.transceivers.push({ track, init })),
    createOffer: jest.fn(async () => ({ type: 'offer' as const, sdp: OFFER })),
    setLocalDescription: jest.fn(async (d: RTCSessionDescriptionInit) => {
      pc.localDescription = { ...d, sdp: `${d.sdp}a=candidate:1 1 udp 1 10.0.0.2 5000 typ host\r\n` };
      // gathering completes a little later
      setTimeout(() => {
        pc.iceGatheringState = 'complete';
        listeners.forEach((fn) => fn());
      }, 5);
    }),
    setRemoteDescription: jest.fn(async (d: RTCSessionDescriptionInit) => {
      pc.remote = d;
    }),
    listenerCount: () => listeners.size,
  };
  return pc;
}

describe('waitForIceGathering', () => {
  it('resolves at once when complete, on the event, or after the timeout', async () => {
    await expect(waitForIceGathering(fakePc('complete') as never)).resolves.toBe('complete');
    const pc = fakePc();
    await expect(waitForIceGathering(pc as never, 20)).resolves.toBe('timeout');
    expect(pc.listenerCount()).toBe(0);
    const later = fakePc();
    const p = waitForIceGathering(later as never, 1000);
    await later.setLocalDescription({ type: 'offer', sdp: OFFER });
    await expect(p).resolves.toBe('complete');
    expect(later.listenerCount()).toBe(0);
  });
});

describe('whipOffer', () => {
  it('POSTs the SDP with the bearer token and reads the answer and Location', async () => {
    const fetchFn = jest.fn().mockResolvedValue(
      new Response(ANSWER, {
        status: 201,
        headers: { Location: '/whip/abc/resource/r1', ETag: '"e1"', 'Content-Type': 'application/sdp' },
      }),
    );
    const a = await whipOffer('/whip/abc', 'tok', OFFER, BASE, fetchFn);
    expect(fetchFn).toHaveBeenCalledWith('/whip/abc', {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', Accept: 'application/sdp', Authorization: 'Bearer tok' },
      body: OFFER,
    });
    expect(a).toEqual({ sdp: ANSWER, resourceUrl: 'http://localhost:3000/whip/abc/resource/r1', etag: '"e1"' });
  });

  it('rejects non-201 answers with the problem detail', async () => {
    const problem = JSON.stringify({ title: 'Unauthorized', status: 401, detail: 'the session token expired' });
    await expect(
      whipOffer('/whip', 't', OFFER, BASE, jest.fn().mockResolvedValue(new Response(problem, { status: 401 }))),
    ).rejects.toMatchObject({
      status: 401,
      message: 'the session token expired',
    });
    await expect(
      whipOffer('/whip', 't', OFFER, BASE, jest.fn().mockResolvedValue(new Response(ANSWER, { status: 200 }))),
    ).rejects.toMatchObject({
      message: expect.stringContaining('expected 201'),
    });
    await expect(
      whipOffer('/whip', 't', OFFER, BASE, jest.fn().mockResolvedValue(new Response(ANSWER, { status: 201 }))),
    ).rejects.toMatchObject({
      message: expect.stringContaining('Location'),
    });
    const noSdp = new Response('{}', { status: 201, headers: { Location: '/r' } });
    await expect(whipOffer('/whip', 't', OFFER, BASE, jest.fn().mockResolvedValue(noSdp))).rejects.toMatchObject({
      message: expect.stringContaining('SDP'),
    });
    await expect(
      whipOffer('/whip', 't', OFFER, BASE, jest.fn().mockRejectedValue(new TypeError('x'))),
    ).rejects.toMatchObject({ status: 0 });
  });

  it('resolves Location against the endpoint', () => {
    expect(resolveResourceUrl('r1', '/api/v1/whip/s1/', BASE)).toBe('http://localhost:3000/api/v1/whip/s1/r1');
    expect(resolveResourceUrl('https://media.example/x', '/whip', BASE)).toBe('https://media.example/x');
    expect(resolveResourceUrl('/abs', 'https://media.example/whip', BASE)).toBe('https://media.example/abs');
  });
});

describe('whipPublish and whipDelete', () => {
  it('adds a send-only transceiver, waits for candidates, and applies the answer', async () => {
    const pc = fakePc();
    const created: string[] = [];
    const fetchFn = jest
      .fn()
      .mockResolvedValue(new Response(ANSWER, { status: 201, headers: { Location: '/whip/s/1' } }));
    const track = { kind: 'video' } as MediaStreamTrack;
    const a = await whipPublish(pc as never, track, '/whip/s', 'tok', {
      base: BASE,
      fetchFn,
      onResource: (x) => created.push(x.resourceUrl),
    });
    expect(pc.addTransceiver).toHaveBeenCalledWith(track, { direction: 'sendonly', streams: [] });
    const sent = fetchFn.mock.calls[0][1].body as string;
    expect(sent).toContain('a=candidate:1'); // the offer after gathering, not the bare one
    expect(pc.remote).toEqual({ type: 'answer', sdp: ANSWER });
    expect(a.resourceUrl).toBe('http://localhost:3000/whip/s/1');
    expect(created).toEqual([a.resourceUrl]);
  });

  it('DELETEs the resource with the token; a 404 is fine', async () => {
    const ok = jest.fn().mockResolvedValue(new Response(null, { status: 200 }));
    await whipDelete('http://h/whip/s/1', 'tok', ok);
    expect(ok).toHaveBeenCalledWith('http://h/whip/s/1', {
      method: 'DELETE',
      headers: { Authorization: 'Bearer tok' },
      keepalive: false,
    });
    await expect(
      whipDelete('u', 't', jest.fn().mockResolvedValue(new Response(null, { status: 404 }))),
    ).resolves.toBeUndefined();
    await expect(
      whipDelete('u', 't', jest.fn().mockResolvedValue(new Response('{"detail":"boom"}', { status: 500 }))),
    ).rejects.toMatchObject({ message: 'boom' });
  });
});
