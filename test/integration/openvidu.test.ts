/**
 * OpenVidu mode end to end below the browser: the real gateway and the real capture service (both
 * in this process) over a private nats-server, against test/support/fake-openvidu.ts, a local
 * server that speaks OpenVidu 2.x's REST API and JSON-RPC protocol and plays both the media server
 * and the publishing browser (real WebRTC video from @roamhq/wrtc). A stand-in recognizer answers
 * FrameRecognize and publishes recognitions, as the matcher would.
 *
 * Not covered: a real openvidu-server/Kurento, and openvidu-browser in a real browser (see the
 * README's "OpenVidu mode").
 */
import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import sharp from 'sharp';
import WebSocket from 'ws';
import { FrameRecognize, RecognitionEvent, StreamStatus, type Stream } from '@glimpse/contracts';
import { Bus, ConfigError } from '@glimpse/platform';
import { faceOfNobody, freePort, until } from '@glimpse/testing';
import { AppModule as CaptureModule } from '../../services/capture/src/app.module';
import { loadCaptureConfig } from '../../services/capture/src/config';
import { readJpegSize } from '../../services/capture/src/jpeg';
import { OpenViduService } from '../../services/capture/src/openvidu/openvidu.service';
import { createApp } from '../../services/gateway/src/app';
import { loadGatewayConfig } from '../../services/gateway/src/config';
import { FakeOpenVidu, type RgbaFrame } from '../support/fake-openvidu';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';
import { fixturePhotos } from '../support/worker';
import { authed, TEST_ADMIN_KEY } from '../support/auth';

const fetch = authed(() => TEST_ADMIN_KEY);

jest.setTimeout(120_000);

const SECRET = 'ov-test-secret';
const SESSION_SECRET = 'openvidu-test-session-secret-'.padEnd(40, 'x');

interface Received {
  source: string;
  threshold?: number;
  jpeg: Buffer;
}

let nats: PrivateNats;
let bus: Bus;
let fake: FakeOpenVidu;
let capture: INestApplicationContext | undefined;
const gateways: NestExpressApplication[] = [];
let base: string;
const received: Received[] = [];
const statuses: Stream[] = [];
const sockets: WebSocket[] = [];

/** What the simulated camera shows: a fixture face when there is one, else a pattern. */
async function cameraFrame(width = 640, height = 480): Promise<RgbaFrame> {
  const photo = fixturePhotos()[0]?.path;
  const img = photo
    ? sharp(photo).resize(width, height, { fit: 'contain', background: '#808080' })
    : sharp({ create: { width, height, channels: 3, background: '#3060a0' } });
  const rgba = await img.ensureAlpha().raw().toBuffer();
  return { width, height, data: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length) };
}

/** A gateway with these OpenVidu variables (undefined: unset). */
async function gateway(env: Record<string, string | undefined>): Promise<string> {
  const cfg = loadGatewayConfig({
    NATS_URL: nats.url,
    INSTANCE_ID: `gateway-ov-it-${gateways.length}`,
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    SESSION_SECRET,
    GATHER_TIMEOUT_MS: '300',
    ...env,
  });
  const app = await createApp(cfg, false);
  await app.listen(0, '127.0.0.1');
  gateways.push(app);
  return `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
}

async function createSession(at = base, body: unknown = {}) {
  return fetch(`${at}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function results(token: string, streamId: string): Promise<unknown[]> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws?token=${encodeURIComponent(token)}`);
  sockets.push(ws);
  const messages: unknown[] = [];
  ws.on('message', (m) => messages.push(JSON.parse(String(m))));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'subscribe', streamId }));
  await until('subscribed', () => messages.some((m) => (m as { type: string }).type === 'subscribed'));
  return messages;
}

const ovService = () => capture!.get(OpenViduService);
const lastStatus = (id: string) => statuses.filter((s) => s.id === id).at(-1);

beforeAll(async () => {
  nats = await startPrivateNats();
  bus = await Bus.connect({
    servers: nats.url,
    name: 'openvidu-it',
    logger: { log() {}, warn() {}, error: console.error },
  });
  bus.handleBinary(
    FrameRecognize.contract,
    async ({ body, headers }) => {
      const source = headers['Glimpse-Source'];
      received.push({ source, threshold: headers['Glimpse-Threshold'], jpeg: Buffer.from(body) });
      const size = readJpegSize(body) ?? { width: 1, height: 1 };
      const frame = { source, seq: headers['Glimpse-Seq'], capturedAt: headers['Glimpse-Captured-At'], ...size };
      const face = faceOfNobody({ x: 1, y: 1, width: 10, height: 10 }, { isNew: true });
      bus.publish(RecognitionEvent.contract, [source], { frame, faces: [face] });
      return { frame, faces: [face], timings: {}, processedBy: 'stand-in' };
    },
    { queue: FrameRecognize.queue },
  );
  bus.subscribe(StreamStatus.contract, (s) => void statuses.push(s));

  fake = await new FakeOpenVidu({ secret: SECRET, frame: await cameraFrame(), fps: 15 }).start();

  const captureCfg = loadCaptureConfig({
    NATS_URL: nats.url,
    INSTANCE_ID: 'capture-ov-it',
    SNAPSHOT_FPS: '4',
    STATUS_INTERVAL_MS: '500',
    WEBRTC_CONNECT_TIMEOUT_MS: '8000',
    WEBRTC_FRAME_TIMEOUT_MS: '3000',
  });
  capture = await NestFactory.createApplicationContext(CaptureModule.forRoot(captureCfg), { logger: false });
  capture.enableShutdownHooks();
  await capture.init();

  base = await gateway({ OPENVIDU_URL: fake.url, OPENVIDU_SECRET: SECRET });
}, 60_000);

afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  for (const app of gateways) await app.close();
  await capture?.close();
  await bus?.close();
  await fake?.stop();
  await nats?.stop();
});

describe('OpenVidu mode', () => {
  it('creates an OpenVidu session, hands the browser a PUBLISHER token and has a capture worker join as SUBSCRIBER', async () => {
    const restBefore = fake.rest.length;
    const res = await createSession(base, { threshold: 0.5 });
    expect(res.status).toBe(201);
    const s = (await res.json()) as {
      sessionId: string;
      token: string;
      streamId: string;
      mode: string;
      openvidu: { sessionId: string; token: string; serverUrl: string };
    };
    expect(s).toMatchObject({ mode: 'openvidu', streamId: expect.stringMatching(/^live_/), token: expect.any(String) });
    expect(s.openvidu).toEqual({
      sessionId: expect.stringMatching(/^ses_/),
      token: expect.stringMatching(
        new RegExp(`^ws://127\\.0\\.0\\.1:\\d+\\?sessionId=${s.openvidu.sessionId}&token=tok_`),
      ),
      serverUrl: fake.url,
    });

    // REST: one session, then a PUBLISHER and a SUBSCRIBER connection, all with the right Basic auth
    const rest = fake.rest.slice(restBefore);
    expect(rest.map((c) => [c.method, c.path, c.authorized, c.status])).toEqual([
      ['POST', '/openvidu/api/sessions', true, 200],
      ['POST', `/openvidu/api/sessions/${s.openvidu.sessionId}/connection`, true, 200],
      ['POST', `/openvidu/api/sessions/${s.openvidu.sessionId}/connection`, true, 200],
    ]);
    expect(rest[1].body).toMatchObject({ role: 'PUBLISHER', type: 'WEBRTC' });
    expect(rest[2].body).toMatchObject({ role: 'SUBSCRIBER', type: 'WEBRTC' });
    const session = fake.session(s.openvidu.sessionId)!;
    const byRole = (role: string) => [...session.connections.values()].find((c) => c.role === role)!;
    expect(byRole('PUBLISHER').token).toBe(s.openvidu.token);

    // JSON-RPC: the worker joined with the SUBSCRIBER token before the HTTP answer, and pings
    const [ping, join] = fake.rpcOf(s.openvidu.sessionId);
    expect(ping).toMatchObject({ method: 'ping', params: { interval: 5000 } });
    expect(join).toMatchObject({
      method: 'joinRoom',
      params: {
        token: byRole('SUBSCRIBER').token,
        session: s.openvidu.sessionId,
        secret: '',
        recorder: false,
        metadata: expect.any(String),
      },
    });
    expect(byRole('SUBSCRIBER').status).toBe('active');
    expect(fake.rpcOf(s.openvidu.sessionId, 'receiveVideoFrom')).toEqual([]);
    expect(ovService().waitingCount).toBe(1);

    // the browser subscribes to its results, then publishes with its token (openvidu-browser's session.publish)
    const messages = await results(s.token, s.streamId);
    const t0 = Date.now();
    const { streamId: ovStream, connectionId } = fake.publish(s.openvidu.sessionId, s.openvidu.token);
    expect(connectionId).toBe(byRole('PUBLISHER').connectionId);
    const rvf = await until('receiveVideoFrom', () => fake.rpcOf(s.openvidu.sessionId, 'receiveVideoFrom')[0]);
    expect(rvf.params).toEqual({
      sender: ovStream,
      sdpOffer: expect.stringMatching(/^v=0\r\n[\s\S]*m=video[\s\S]*a=recvonly/),
    });
    await until(
      'candidates sent to the media server',
      () => fake.rpcOf(s.openvidu.sessionId, 'onIceCandidate').length > 0,
    );
    for (const c of fake.rpcOf(s.openvidu.sessionId, 'onIceCandidate'))
      expect(c.params.endpointName).toBe(connectionId);

    // frames reach the recognizer as JPEGs under the session's stream, with its threshold
    await until('three snapshots', () => received.filter((f) => f.source === s.streamId).length >= 3, 20_000);
    console.log(`OpenVidu (fake): first three snapshots ${Date.now() - t0} ms after publishing`);
    for (const f of received.filter((r) => r.source === s.streamId)) {
      expect(readJpegSize(f.jpeg)).toEqual({ width: 640, height: 480 });
      expect(f.threshold).toBe(0.5);
    }
    expect(ovService().waitingCount).toBe(0);
    expect(lastStatus(s.streamId)).toMatchObject({
      state: 'running',
      url: 'webrtc:openvidu',
      instance: 'capture-ov-it',
    });

    // ... and the results reach the browser over the gateway's WebSocket
    await until('a recognition on the WebSocket', () =>
      messages.find((m) => (m as { type: string }).type === 'recognition'),
    );
    expect(messages.find((m) => (m as { type: string }).type === 'recognition')).toMatchObject({
      type: 'recognition',
      streamId: s.streamId,
    });

    // the browser leaves: the stream ends, the worker closes its peer and leaves the room
    fake.leave(s.openvidu.sessionId);
    const ended = await until('the stream to end', () => {
      const st = lastStatus(s.streamId);
      return st && st.state !== 'running' && st.state !== 'starting' ? st : undefined;
    });
    expect(ended).toMatchObject({ state: 'ended', error: null });
    await until('the peer closed', () => ovService().liveCount === 0 && ovService().gauge.snapshot().peers === 0);
    expect(ovService().gauge.snapshot()).toEqual({ peers: 0, sinks: 0, timers: 0 });
    await until('leaveRoom', () => fake.rpcOf(s.openvidu.sessionId, 'leaveRoom').length > 0, 3_000);
    expect(
      await until('the stream message', () =>
        messages.find((m) => (m as { stream?: Stream }).stream?.state === 'ended'),
      ),
    ).toBeTruthy();
  });

  it('ends the stream when the OpenVidu session is closed', async () => {
    const s = (await (await createSession()).json()) as {
      streamId: string;
      openvidu: { sessionId: string; token: string };
    };
    fake.publish(s.openvidu.sessionId, s.openvidu.token);
    await until('snapshots', () => received.some((f) => f.source === s.streamId), 20_000);
    const auth = 'Basic ' + Buffer.from(`OPENVIDUAPP:${SECRET}`).toString('base64');
    expect(
      (
        await fetch(`${fake.url}/openvidu/api/sessions/${s.openvidu.sessionId}`, {
          method: 'DELETE',
          headers: { authorization: auth },
        })
      ).status,
    ).toBe(204);
    await until('the stream to end', () => lastStatus(s.streamId)?.state === 'ended');
    await until('everything released', () => ovService().liveCount === 0 && ovService().gauge.snapshot().peers === 0);
  });

  it('a client may still ask for WHIP on an OpenVidu gateway', async () => {
    const res = await createSession(base, { mode: 'whip' });
    expect(res.status).toBe(201);
    const s = (await res.json()) as { mode: string; openvidu?: unknown };
    expect(s.mode).toBe('whip');
    expect(s.openvidu).toBeUndefined();
  });

  it('answers a clear 503 problem when OpenVidu refuses the secret', async () => {
    const wrong = await gateway({ OPENVIDU_URL: fake.url, OPENVIDU_SECRET: 'not-the-secret' });
    const res = await createSession(wrong);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe('SERVICE_UNAVAILABLE');
    expect(problem.detail).toBe(
      `OpenVidu at ${fake.url} answered HTTP 401 while creating a session: the secret was refused (check OPENVIDU_SECRET)`,
    );
    expect(fake.rest.at(-1)).toMatchObject({ path: '/openvidu/api/sessions', authorized: false, status: 401 });
  });

  it('answers a clear 503 problem when OpenVidu cannot be reached', async () => {
    const port = await freePort();
    const down = await gateway({ OPENVIDU_URL: `http://127.0.0.1:${port}`, OPENVIDU_SECRET: SECRET });
    const res = await createSession(down);
    expect(res.status).toBe(503);
    const problem = (await res.json()) as { detail: string };
    expect(problem.detail).toBe(
      `OpenVidu at http://127.0.0.1:${port} is unreachable while creating a session: ECONNREFUSED`,
    );
  });

  it('refuses to start with only one of OPENVIDU_URL and OPENVIDU_SECRET', async () => {
    await expect(gateway({ OPENVIDU_URL: fake.url, OPENVIDU_SECRET: undefined })).rejects.toThrow(ConfigError);
    await expect(gateway({ OPENVIDU_URL: fake.url, OPENVIDU_SECRET: undefined })).rejects.toThrow(
      /OPENVIDU_SECRET: OPENVIDU_URL and OPENVIDU_SECRET go together/,
    );
  });

  it('closes the OpenVidu session again when no capture worker can join it', async () => {
    await capture!.close();
    capture = undefined;
    const res = await createSession();
    expect(res.status).toBe(503);
    const problem = (await res.json()) as { detail: string };
    expect(problem.detail).toMatch(
      /the capture service is not running \(no service is answering glimpse\.capture\.openvidu\.subscribe\)/,
    );
    const created = fake.rest.filter((c) => c.path === '/openvidu/api/sessions').at(-1)!;
    expect(created.status).toBe(200);
    const sessionId = [...fake.sessions.keys()].at(-1)!;
    await until(
      'the DELETE',
      () =>
        fake.rest.some(
          (c) => c.method === 'DELETE' && c.path === `/openvidu/api/sessions/${sessionId}` && c.status === 204,
        ),
      5_000,
    );
  });
});
