/**
 * The capture worker's OpenVidu subscriber against a local server that speaks OpenVidu 2.x's
 * documented JSON-RPC protocol (test/support/fake-openvidu.ts), with real WebRTC media on both
 * ends (@roamhq/wrtc). No real OpenVidu or Kurento is involved: see docs/live-camera.md, "OpenVidu mode".
 */
import { nonstandard, type MediaStreamTrack } from '@roamhq/wrtc';
import { until } from '@glimpse/testing';
import {
  OpenViduSubscriber,
  type SubscriberEnd,
  type SubscriberOptions,
} from '../../services/capture/src/openvidu/openvidu-subscriber';
import { FakeOpenVidu, type RgbaFrame } from '../support/fake-openvidu';

jest.setTimeout(60_000);

const SECRET = 'proto-secret';
const opts: SubscriberOptions = {
  joinTimeoutMs: 5_000,
  publishTimeoutMs: 20_000,
  iceTimeoutMs: 10_000,
  requestTimeoutMs: 3_000,
  pingEveryMs: 300,
};

/** A 320x240 frame: left half red, right half blue, so orientation and colours can be checked. */
function splitFrame(width = 320, height = 240): RgbaFrame {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const left = x < width / 2;
      data.set([left ? 220 : 20, 30, left ? 20 : 220, 255], i);
    }
  }
  return { width, height, data };
}

/** Creates a session and a SUBSCRIBER token over the fake's REST API. */
async function subscriberToken(fake: FakeOpenVidu): Promise<{ sessionId: string; token: string }> {
  const auth = {
    authorization: 'Basic ' + Buffer.from(`OPENVIDUAPP:${SECRET}`).toString('base64'),
    'content-type': 'application/json',
  };
  const s = (await (
    await fetch(`${fake.url}/openvidu/api/sessions`, { method: 'POST', headers: auth, body: '{}' })
  ).json()) as { id: string };
  const c = (await (
    await fetch(`${fake.url}/openvidu/api/sessions/${s.id}/connection`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ role: 'SUBSCRIBER' }),
    })
  ).json()) as { token: string };
  return { sessionId: s.id, token: c.token };
}

/** Reads decoded frames off a received track. */
function sinkOf(track: MediaStreamTrack) {
  const sink = new nonstandard.RTCVideoSink(track);
  const got: Array<{ width: number; height: number; rgba: Uint8Array }> = [];
  sink.onframe = ((ev: { frame: { width: number; height: number; data: Uint8Array } }) => {
    if (got.length >= 5) return;
    const { width, height } = ev.frame;
    const rgba = new Uint8Array(width * height * 4);
    nonstandard.i420ToRgba(ev.frame, { width, height, data: rgba });
    got.push({ width, height, rgba });
  }) as never;
  return { sink, got };
}

describe('OpenVidu subscriber against the protocol fake', () => {
  let fake: FakeOpenVidu;
  const subs: OpenViduSubscriber[] = [];

  beforeAll(async () => {
    fake = await new FakeOpenVidu({ secret: SECRET, frame: splitFrame(), fps: 15 }).start();
  });
  afterEach(() => subs.splice(0).forEach((s) => s.close()));
  afterAll(() => fake.stop());

  function subscriber(token: string): { sub: OpenViduSubscriber; tracks: MediaStreamTrack[]; ends: SubscriberEnd[] } {
    const sub = new OpenViduSubscriber(token, undefined, opts);
    subs.push(sub);
    const tracks: MediaStreamTrack[] = [];
    const ends: SubscriberEnd[] = [];
    sub.on('track', (t) => tracks.push(t));
    sub.on('end', (e) => ends.push(e));
    return { sub, tracks, ends };
  }

  it('joins, waits for participantPublished, subscribes with a trickle-ICE offer and receives the video', async () => {
    const { sessionId, token } = await subscriberToken(fake);
    const { sub, tracks, ends } = subscriber(token);
    const joined = await sub.join();
    expect(joined.publisherFound).toBe(false);
    expect(joined.connectionId).toMatch(/^con_/);

    const [ping, join] = fake.rpcOf(sessionId);
    expect(ping).toMatchObject({ method: 'ping', params: { interval: 5000 } });
    expect(join).toMatchObject({
      method: 'joinRoom',
      params: { token, session: sessionId, metadata: expect.any(String), secret: '', recorder: false },
    });
    expect(fake.rpcOf(sessionId, 'receiveVideoFrom')).toHaveLength(0); // nothing published yet

    const { connectionId, streamId } = fake.publish(sessionId);
    const track = await until('the remote track', () => tracks[0]);
    const [rvf] = fake.rpcOf(sessionId, 'receiveVideoFrom');
    expect(rvf.params.sender).toBe(streamId);
    expect(String(rvf.params.sdpOffer)).toMatch(/^v=0/);
    expect(String(rvf.params.sdpOffer)).toMatch(/a=recvonly/);
    expect(String(rvf.params.sdpOffer)).toMatch(/m=video/);

    const { sink, got } = sinkOf(track);
    await until('decoded frames', () => got.length >= 3, 20_000);
    sink.stop();
    const f = got.at(-1)!;
    expect([f.width, f.height]).toEqual([320, 240]);
    const px = (x: number, y: number) => [...f.rgba.subarray((y * f.width + x) * 4, (y * f.width + x) * 4 + 3)];
    expect(px(40, 120)[0]).toBeGreaterThan(150); // red on the left
    expect(px(280, 120)[2]).toBeGreaterThan(150); // blue on the right

    // both trickle directions were used: our candidates reached the fake, tagged with the publisher's connection
    const cands = fake.rpcOf(sessionId, 'onIceCandidate');
    expect(cands.length).toBeGreaterThan(0);
    for (const c of cands)
      expect(c.params).toMatchObject({ endpointName: connectionId, candidate: expect.stringMatching(/^candidate:/) });
    expect(sub.peerState).toBe('connected');
    expect(ends).toEqual([]);

    // heartbeat keeps going
    const pings = fake.rpcOf(sessionId, 'ping').length;
    await until('more pings', () => fake.rpcOf(sessionId, 'ping').length > pings, 3_000);

    fake.leave(sessionId);
    await until('the end', () => ends[0]);
    expect(ends).toEqual([{ failed: false, reason: expect.stringMatching(/left the session/) }]);
    expect(sub.peerState).toBe('closed');
    await until('leaveRoom', () => fake.rpcOf(sessionId, 'leaveRoom').length > 0, 3_000);
  });

  it('subscribes at once when the browser published before the worker joined', async () => {
    const { sessionId, token } = await subscriberToken(fake);
    const { streamId } = fake.publish(sessionId);
    const { sub, tracks } = subscriber(token);
    expect((await sub.join()).publisherFound).toBe(true);
    await until('the remote track', () => tracks[0]);
    expect(fake.rpcOf(sessionId, 'receiveVideoFrom')[0].params.sender).toBe(streamId);
  });

  it('ends when the browser unpublishes, and when the session is closed', async () => {
    const a = await subscriberToken(fake);
    const sa = subscriber(a.token);
    await sa.sub.join();
    fake.publish(a.sessionId);
    await until('track', () => sa.tracks[0]);
    fake.unpublish(a.sessionId);
    await until('end', () => sa.ends[0]);
    expect(sa.ends[0]).toEqual({ failed: false, reason: expect.stringMatching(/stopped publishing/) });

    const b = await subscriberToken(fake);
    const sb = subscriber(b.token);
    await sb.sub.join();
    const auth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${SECRET}`).toString('base64');
    expect(
      (
        await fetch(`${fake.url}/openvidu/api/sessions/${b.sessionId}`, {
          method: 'DELETE',
          headers: { authorization: auth },
        })
      ).status,
    ).toBe(204);
    await until('end', () => sb.ends[0]);
    expect(sb.ends[0]).toEqual({ failed: false, reason: expect.stringMatching(/session was closed/) });
  });

  it('fails to join with a token the server does not know, saying why', async () => {
    const { token } = await subscriberToken(fake);
    const bad = token.replace(/token=tok_[^&]+/, 'token=tok_forged');
    const { sub } = subscriber(bad);
    const err = (await sub.join().then(
      () => undefined,
      (e: Error) => e,
    ))!;
    expect(err.message).toMatch(
      /^cannot join OpenVidu session ses_\w+ at ws:\/\/127\.0\.0\.1:\d+\/openvidu\?sessionId=ses_\w+: joinRoom: Unable to join session ses_\w+\. Token .* is not valid \(code 401\)$/,
    );
    expect(err.message).not.toMatch(/tok_forged/); // the token's secret part stays out of messages
  });

  it('fails to join when nothing listens, and when nobody publishes in time', async () => {
    const { sub } = subscriber('ws://127.0.0.1:9?sessionId=ses_x&token=tok_y');
    await expect(sub.join()).rejects.toThrow(
      /cannot open WebSocket ws:\/\/127\.0\.0\.1:9\/openvidu\?sessionId=ses_x: .*ECONNREFUSED/,
    );

    const { token } = await subscriberToken(fake);
    const impatient = new OpenViduSubscriber(token, undefined, { ...opts, publishTimeoutMs: 300 });
    subs.push(impatient);
    const ends: SubscriberEnd[] = [];
    impatient.on('end', (e) => ends.push(e));
    await impatient.join();
    await until('end', () => ends[0], 3_000);
    expect(ends[0]).toEqual({ failed: true, reason: 'nobody published within 0.3 s' });
  });

  it('leaves nothing open when closed while still joining', async () => {
    const { sessionId, token } = await subscriberToken(fake);
    const { sub, ends } = subscriber(token);
    const joining = sub.join();
    sub.close();
    await expect(joining).rejects.toThrow(/closed while joining/);
    await until('every socket closed', () => fake.openSockets === 0, 5_000);
    expect(fake.rpcOf(sessionId, 'joinRoom')).toEqual([]);
    expect(ends).toEqual([]);
  });

  it('refuses REST calls without the right secret', async () => {
    const wrong = 'Basic ' + Buffer.from('OPENVIDUAPP:nope').toString('base64');
    const res = await fetch(`${fake.url}/openvidu/api/sessions`, {
      method: 'POST',
      headers: { authorization: wrong },
      body: '{}',
    });
    expect(res.status).toBe(401);
  });
});
