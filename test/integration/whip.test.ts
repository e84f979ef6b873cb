/**
 * WHIP end to end below the browser: the real gateway (in this process) and the real capture
 * service (its built dist, as a child process, so it can be killed and its memory read) over a
 * private nats-server; a Node WHIP publisher made with @roamhq/wrtc plays the browser, and a
 * stand-in recognizer answers FrameRecognize (and publishes recognitions, as the matcher would).
 */
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import WebSocket from 'ws';
import { FrameRecognize, HealthCheck, RecognitionEvent, StreamStatus, type Stream } from '@glimpse/contracts';
import { Bus } from '@glimpse/platform';
import { faceOfNobody, freePort, until } from '@glimpse/testing';
import { readJpegSize } from '../../services/capture/src/jpeg';
import { createApp } from '../../services/gateway/src/app';
import { loadGatewayConfig } from '../../services/gateway/src/config';
import { signSessionToken } from '../../services/gateway/src/sessions/session-token';
import { fixturePhotos } from '../support/worker';
import { WhipPublishers, type PublishOptions, type Publisher } from '../e2e/support/whip-client';
import { authed, TEST_ADMIN_KEY, wsWithKey } from '../support/auth';

const fetch = authed(() => TEST_ADMIN_KEY);

jest.setTimeout(240_000);

const ROOT = resolve(__dirname, '..', '..');
const CAPTURE_MAIN = join(ROOT, 'services', 'capture', 'dist', 'main.js');
const SECRET = 'whip-test-secret-'.padEnd(40, 'x');
const FRAME_TIMEOUT_MS = 3000;

interface Received {
  source: string;
  seq: number;
  threshold?: number;
  capturedAt: string;
  at: number;
  jpeg: Buffer;
}

let nats: ChildProcess;
let natsUrl: string;
let capture: ChildProcess;
let captureLog = '';
let bus: Bus;
let app: NestExpressApplication;
let base: string;
let publishers: WhipPublishers;
const received: Received[] = [];
const statuses: Stream[] = [];
const open: Publisher[] = [];

function startCapture(): ChildProcess {
  const child = spawn(process.execPath, [CAPTURE_MAIN], {
    env: {
      ...process.env,
      NATS_URL: natsUrl,
      INSTANCE_ID: 'capture-whip-it',
      STATUS_INTERVAL_MS: '1000',
      WEBRTC_FRAME_TIMEOUT_MS: String(FRAME_TIMEOUT_MS),
      WEBRTC_CONNECT_TIMEOUT_MS: '5000',
      MAX_STREAMS: '32',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => (captureLog = (captureLog + b.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

const captureHealth = () => bus.request(HealthCheck.contractFor('capture'), {}, 2000);

/** `sessions 0, peers 0, sinks 0, timers 0` → numbers. */
async function webrtcCounts(): Promise<Record<string, number>> {
  const detail = (await captureHealth()).checks.webrtc?.detail ?? '';
  return Object.fromEntries([...detail.matchAll(/(\w+) (\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function session(body: unknown = {}) {
  const res = await fetch(`${base}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as {
    sessionId: string;
    token: string;
    expiresAt: string;
    streamId: string;
    whipUrl: string;
    mode: string;
  };
}

const publish = (o: PublishOptions) => publishers.publish(o);

async function live(opts: Partial<PublishOptions> & { threshold?: number } = {}) {
  const s = await session(opts.threshold !== undefined ? { threshold: opts.threshold } : {});
  const p = await publish({ url: base + s.whipUrl, token: s.token, ...opts });
  open.push(p);
  return { s, p };
}

const framesOf = (source: string) => received.filter((f) => f.source === source);
const lastStatus = (id: string) => statuses.filter((s) => s.id === id).at(-1);

function socket(query = ''): Promise<{ ws: WebSocket; messages: any[] }> {
  const ws = new WebSocket(
    query.includes('token=')
      ? `${base.replace('http', 'ws')}/ws${query}`
      : wsWithKey(`${base.replace('http', 'ws')}/ws${query}`, TEST_ADMIN_KEY),
  );
  const messages: any[] = [];
  ws.on('message', (m) => messages.push(JSON.parse(String(m))));
  return new Promise((res, rej) => ws.once('open', () => res({ ws, messages })).once('error', rej));
}

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  return res.json();
}

beforeAll(async () => {
  if (!existsSync(CAPTURE_MAIN)) throw new Error(`${CAPTURE_MAIN} is missing: run npm run build first`);
  const port = await freePort();
  nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  natsUrl = `nats://127.0.0.1:${port}`;
  await until(
    'nats',
    () =>
      new Promise<boolean>((r) => {
        const s = connect({ host: '127.0.0.1', port })
          .once('connect', () => (s.destroy(), r(true)))
          .once('error', () => r(false));
      }),
  );
  bus = await Bus.connect({ servers: natsUrl, name: 'whip-it', logger: { log() {}, warn() {}, error: console.error } });

  bus.handleBinary(
    FrameRecognize.contract,
    async ({ body, headers }) => {
      const source = headers['Glimpse-Source'];
      const frame = {
        source,
        seq: headers['Glimpse-Seq'],
        capturedAt: headers['Glimpse-Captured-At'],
        width: 640,
        height: 480,
      };
      received.push({
        source,
        seq: frame.seq,
        threshold: headers['Glimpse-Threshold'],
        capturedAt: frame.capturedAt,
        at: Date.now(),
        jpeg: Buffer.from(body),
      });
      await new Promise((r) => setTimeout(r, 50)); // a recognizer takes time
      const face = faceOfNobody({ x: 1, y: 1, width: 10, height: 10 }, { isNew: true });
      bus.publish(RecognitionEvent.contract, [source], { frame, faces: [face] });
      return { frame, faces: [face], timings: {}, processedBy: 'stand-in' };
    },
    { queue: FrameRecognize.queue },
  );
  bus.subscribe(StreamStatus.contract, (s) => void statuses.push(s));

  capture = startCapture();
  await until(
    'capture health',
    () =>
      captureHealth().then(
        () => true,
        () => false,
      ),
    30_000,
  );

  const photo = fixturePhotos()[0]?.path;
  publishers = await WhipPublishers.start(photo ? [photo] : []);

  const cfg = loadGatewayConfig({
    NATS_URL: natsUrl,
    INSTANCE_ID: 'gateway-whip-it',
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    SESSION_SECRET: SECRET,
    LIVE_STATUS_TIMEOUT_MS: '2500',
    GATHER_TIMEOUT_MS: '300',
    RATE_LIMIT_SESSIONS_PER_MIN: '0', // the leak test opens 200 sessions; rate limits: rate-limit.test.ts
  });
  app = await createApp(cfg, false);
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
}, 60_000);

afterEach(async () => {
  for (const p of open.splice(0)) await p.vanish().catch(() => undefined);
});

const exited = (c?: ChildProcess) =>
  c && c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve();

afterAll(async () => {
  await publishers?.close();
  await app?.close();
  capture?.kill('SIGTERM');
  await exited(capture);
  await bus?.close();
  nats?.kill('SIGTERM');
  await exited(nats);
});

describe('sessions', () => {
  it('creates a session with a signed token and what a client needs to publish', async () => {
    const s = await session({ threshold: 0.5 });
    expect(s).toEqual({
      sessionId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      token: expect.stringMatching(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/),
      expiresAt: expect.any(String),
      streamId: expect.stringMatching(/^live_/),
      whipUrl: `/api/v1/whip/${s.sessionId}`,
      mode: 'whip',
    });
    const empty = await fetch(`${base}/api/v1/sessions`, { method: 'POST' });
    expect(empty.status).toBe(201);
    expect(empty.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses unknown fields and bad thresholds', async () => {
    for (const body of [{ bogus: 1 }, { threshold: 5 }, { threshold: 'high' }]) {
      const res = await fetch(`${base}/api/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
  });
});

describe('publishing over WHIP', () => {
  it('answers 201 with an SDP answer and a Location, then snapshots arrive as JPEGs at about 2/s', async () => {
    const t0 = Date.now();
    const { s, p } = await live({ threshold: 0.5 });
    expect(p.status).toBe(201);
    expect(p.headers['content-type']).toBe('application/sdp');
    expect(p.body).toMatch(/^v=0\r\n/);
    expect(p.body).toMatch(/a=candidate:/);
    expect(p.body).toMatch(/a=recvonly/);
    expect(p.resource).toMatch(new RegExp(`/api/v1/whip/${s.sessionId}/[A-Za-z0-9_-]{16}$`));
    await p.connected();

    await until('the first snapshot', () => framesOf(s.streamId).length > 0);
    const firstMs = Date.now() - t0;
    const window0 = Date.now();
    await new Promise((r) => setTimeout(r, 5000)); // the window the snapshot rate is measured over
    const got = framesOf(s.streamId).filter((f) => f.at >= window0);
    const rate = got.length / 5;
    console.log(`WHIP: first snapshot ${firstMs} ms after the offer; ${rate.toFixed(2)} snapshots/s`);
    expect(firstMs).toBeLessThan(3000);
    expect(rate).toBeGreaterThanOrEqual(1.6);
    expect(rate).toBeLessThanOrEqual(2.4);
    for (const f of framesOf(s.streamId)) {
      expect(f.jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
      expect(readJpegSize(f.jpeg)).toEqual({ width: 640, height: 480 });
      expect(f.threshold).toBe(0.5);
      expect(Date.parse(f.capturedAt)).toBeLessThanOrEqual(f.at);
    }
    expect(lastStatus(s.streamId)).toMatchObject({
      id: s.streamId,
      state: 'running',
      url: 'webrtc:whip',
      instance: 'capture-whip-it',
    });

    const del = await p.stop();
    expect(del!.status).toBe(200);
    expect(JSON.parse(del!.body)).toMatchObject({ id: s.streamId, state: 'stopped' });
    expect(await webrtcCounts()).toEqual({ sessions: 0, peers: 0, sinks: 0, timers: 0 });
    const after = framesOf(s.streamId).length;
    await new Promise((r) => setTimeout(r, 1500)); // a window for snapshots that must not come
    expect(framesOf(s.streamId).length).toBe(after);
    // the resource is gone
    expect(
      (await fetch(p.resource!, { method: 'DELETE', headers: { authorization: `Bearer ${s.token}` } })).status,
    ).toBe(404);
  });

  it('changes the threshold of a live stream with its token only', async () => {
    const { s, p } = await live();
    await p.connected();
    await until('a snapshot', () => framesOf(s.streamId).length > 0);
    expect(framesOf(s.streamId)[0].threshold).toBeUndefined();
    const patch = (token?: string, body: unknown = { threshold: 0.42 }) =>
      fetch(`${base}/api/v1/streams/${s.streamId}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    expect((await patch()).status).toBe(401);
    expect((await patch((await session()).token)).status).toBe(403);
    expect((await patch(s.token, { threshold: -1 })).status).toBe(400);
    const ok = await patch(s.token);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ id: s.streamId, threshold: 0.42, state: 'running' });
    const n = framesOf(s.streamId).length;
    await until('a snapshot with the new threshold', () =>
      framesOf(s.streamId)
        .slice(n + 1)
        .some((f) => f.threshold === 0.42),
    );
    // a live stream cannot be stopped without its token either
    expect((await fetch(`${base}/api/v1/streams/${s.streamId}`, { method: 'DELETE' })).status).toBe(401);
    // nor any stream with another session's token, live or not
    const other = (await session()).token;
    const stop = (id: string) =>
      fetch(`${base}/api/v1/streams/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${other}` } });
    expect((await stop(s.streamId)).status).toBe(403);
    expect((await stop('not-a-live-stream')).status).toBe(403);
    expect((await p.stop())!.status).toBe(200);
  });

  it('sends each session only its own results over /ws?token=', async () => {
    const a = await live();
    const b = await live();
    const wa = await socket(`?token=${a.s.token}`);
    const wb = await socket(`?token=${b.s.token}`);
    const anon = await socket();
    wa.ws.send(JSON.stringify({ type: 'subscribe', streamId: a.s.streamId }));
    wb.ws.send(JSON.stringify({ type: 'subscribe', streamId: b.s.streamId }));
    wa.ws.send(JSON.stringify({ type: 'subscribe', streamId: b.s.streamId })); // someone else's
    anon.ws.send(JSON.stringify({ type: 'subscribe', streamId: a.s.streamId }));
    anon.ws.send(JSON.stringify({ type: 'subscribe', streamId: '*' }));
    const recognitions = (m: any[], id: string) => m.filter((x) => x.type === 'recognition' && x.streamId === id);
    await until(
      'results on both sockets',
      () => recognitions(wa.messages, a.s.streamId).length >= 2 && recognitions(wb.messages, b.s.streamId).length >= 2,
    );
    expect(wa.messages.filter((x) => x.streamId === b.s.streamId && x.type !== 'error')).toEqual([]);
    expect(wb.messages.filter((x) => x.streamId === a.s.streamId)).toEqual([]);
    expect(wa.messages).toContainEqual(
      expect.objectContaining({ type: 'error', code: 'FORBIDDEN', streamId: b.s.streamId }),
    );
    expect(anon.messages.filter((x) => x.type === 'recognition' || x.type === 'stream')).toEqual([]);
    expect(anon.messages).toContainEqual(
      expect.objectContaining({ type: 'error', code: 'FORBIDDEN', streamId: a.s.streamId }),
    );
    expect(wa.messages).toContainEqual(
      expect.objectContaining({
        type: 'stream',
        stream: expect.objectContaining({ id: a.s.streamId, state: 'running' }),
      }),
    );

    const bad = new WebSocket(`${base.replace('http', 'ws')}/ws?token=nope.nope`);
    const closed = await new Promise<number>((r) => bad.once('close', (code) => r(code)));
    expect(closed).toBe(4401);
    for (const w of [wa, wb, anon]) w.ws.close();
    await a.p.stop();
    await b.p.stop();
  });
});

describe('bad input', () => {
  it("refuses missing, forged and expired tokens with 401, and another session's with 403", async () => {
    const s = await session();
    const post = (token?: string, url = base + s.whipUrl) => publish({ url, token });
    const missing = await post();
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="glimpse"');
    expect(JSON.parse(missing.body)).toMatchObject({
      status: 401,
      code: 'UNAUTHORIZED',
      detail: expect.stringMatching(/token is required/),
    });

    const forged = signSessionToken(
      { sid: s.sessionId, streamId: s.streamId, exp: Math.floor(Date.now() / 1000) + 60 },
      Buffer.from('x'.repeat(40)),
    );
    expect((await post(forged)).status).toBe(401);
    const tampered = s.token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await post(tampered)).status).toBe(401);
    const expired = signSessionToken(
      { sid: s.sessionId, streamId: s.streamId, exp: Math.floor(Date.now() / 1000) - 1 },
      Buffer.from(SECRET),
    );
    const exp = await post(expired);
    expect(exp.status).toBe(401);
    expect(JSON.parse(exp.body).detail).toMatch(/expired/);

    const other = await session();
    expect((await post(other.token)).status).toBe(403);
    expect(await webrtcCounts()).toEqual({ sessions: 0, peers: 0, sinks: 0, timers: 0 });
  });

  it('refuses malformed SDP with 400, a wrong media type with 415, and PATCH (trickle ICE) with 405', async () => {
    const s = await session();
    const post = (body: string, type = 'application/sdp') =>
      fetch(base + s.whipUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${s.token}`, 'content-type': type },
        body,
      });
    for (const body of ['', 'hello', 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n']) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect((await problem(res)).detail).toMatch(/malformed SDP offer/);
    }
    expect((await post('v=0', 'application/json')).status).toBe(415);
    const big = await post('v=0\r\n' + 'a=x:' + 'y'.repeat(70_000));
    expect(big.status).toBe(413);

    // passes the gateway's checks, but libwebrtc refuses it: still a clear 400, not a 500
    const garbled = await publish({
      url: base + s.whipUrl,
      token: s.token,
      mangle: { pattern: 'a=fingerprint:sha-256 \\S+', replacement: 'a=fingerprint:sha-256 ZZ' },
    });
    expect(garbled.status).toBe(400);
    expect(JSON.parse(garbled.body).detail).toMatch(/SDP offer was refused/);

    // H.264 only (OBS's default): no codec in common, said so
    const h264 = await publish({ url: base + s.whipUrl, token: s.token, h264Only: true });
    expect(h264.status).toBe(400);
    expect(JSON.parse(h264.body).detail).toMatch(
      /no video codec in common: the offer has H264; Glimpse decodes VP8, VP9, AV1/,
    );

    const trickle = await fetch(`${base}${s.whipUrl}/AAAAAAAAAAAAAAAA`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/trickle-ice-sdpfrag' },
      body: 'a=x',
    });
    expect(trickle.status).toBe(405);
    expect(trickle.headers.get('allow')).toBe('DELETE');
    const options = await fetch(base + s.whipUrl, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('accept-post')).toBe('application/sdp');
    expect(await webrtcCounts()).toEqual({ sessions: 0, peers: 0, sinks: 0, timers: 0 });
  });

  it('answers 404 for a DELETE of an unknown WHIP session, and 409 for a second offer of a live one', async () => {
    const { s, p } = await live();
    expect(p.status).toBe(201);
    const unknown = await fetch(`${base}${s.whipUrl}/AAAAAAAAAAAAAAAA`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${s.token}` },
    });
    expect(unknown.status).toBe(404);
    expect((await problem(unknown)).detail).toMatch(/no WHIP session/);
    const again = await publish({ url: base + s.whipUrl, token: s.token });
    expect(again.status).toBe(409);
    expect((await p.stop())!.status).toBe(200);
  });
});

describe('teardown', () => {
  it('frees a publisher that vanishes without a DELETE (closed tab, lost network) within the frame timeout', async () => {
    const { s, p } = await live();
    await p.connected();
    await until('a snapshot', () => framesOf(s.streamId).length > 0);
    const gone = Date.now();
    await p.vanish();
    const end = await until('the stream to end', () => {
      const st = lastStatus(s.streamId);
      return st && st.state !== 'running' ? st : undefined;
    });
    const ms = Date.now() - gone;
    console.log(`WHIP: vanished publisher freed in ${ms} ms (WEBRTC_FRAME_TIMEOUT_MS ${FRAME_TIMEOUT_MS})`);
    expect(end).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/publisher went away|connection (failed|was closed)/),
    });
    expect(ms).toBeLessThan(10_000);
    expect(await webrtcCounts()).toEqual({ sessions: 0, peers: 0, sinks: 0, timers: 0 });
  });

  it('leaks nothing over 200 sessions: peers, sinks and timers return to zero, memory stays bounded', async () => {
    const N = 200;
    const rss: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < N; i++) {
      const { s, p } = await live({ frameMs: 40 });
      expect({ i, status: p.status }).toEqual({ i, status: 201 });
      await p.connected();
      if (i % 10 === 0) await until('a snapshot', () => framesOf(s.streamId).length > 0); // every tenth also runs the pipeline
      if (i % 25 === 0)
        await p.vanish(); // and some just disappear
      else expect((await p.stop())!.status).toBe(200);
      open.pop();
      if (i % 50 === 49) rss.push(rssMiB(capture.pid!));
    }
    const elapsed = (Date.now() - t0) / 1000;
    await until('every stream to be freed', async () => (await webrtcCounts()).peers === 0, FRAME_TIMEOUT_MS + 5000);
    const counts = await webrtcCounts();
    const h = await captureHealth();
    console.log(
      `WHIP leak test: ${N} sessions in ${elapsed.toFixed(1)} s; capture RSS after each 50: ${rss.map((r) => r.toFixed(0)).join(', ')} MiB; ${JSON.stringify(counts)}; ${h.checks.streams.detail}`,
    );
    expect(counts).toEqual({ sessions: 0, peers: 0, sinks: 0, timers: 0 });
    expect(h.checks.streams.detail).toMatch(/^0\//);
    expect(await publishers.open()).toBe(0);
    // allocator warm-up happens in the first 50; after that growth must stay small
    expect(rss[rss.length - 1] - rss[0]).toBeLessThan(40);
    expect(capture.exitCode).toBeNull();
  });
});

describe('a capture worker killed mid-stream', () => {
  it('the client hears the stream failed (capture worker lost) and can publish again once capture is back', async () => {
    const { s, p } = await live();
    await p.connected();
    const w = await socket(`?token=${s.token}`);
    w.ws.send(JSON.stringify({ type: 'subscribe', streamId: s.streamId }));
    await until('a result', () => w.messages.some((m) => m.type === 'recognition'));
    const killedAt = Date.now();
    capture.kill('SIGKILL');
    const lost = await until(
      'the failure',
      () => w.messages.find((m) => m.type === 'stream' && m.stream.state === 'failed'),
      15_000,
    );
    console.log(`WHIP: capture killed; client told after ${Date.now() - killedAt} ms`);
    expect(lost.stream).toMatchObject({ id: s.streamId, state: 'failed', error: 'capture worker lost' });
    // the client cleans up: its DELETE finds no owner
    expect((await p.stop())!.status).toBe(404);
    // no capture instance: a new offer is a clear 503, not a hang
    const none = await live();
    expect(none.p.status).toBe(503);
    expect(JSON.parse(none.p.body).detail).toMatch(/capture service is not running/);

    capture = startCapture();
    await until(
      'capture back',
      () =>
        captureHealth().then(
          () => true,
          () => false,
        ),
      30_000,
    );
    const again = await live();
    expect(again.p.status).toBe(201);
    await again.p.connected();
    await until('snapshots again', () => framesOf(again.s.streamId).length > 0);
    expect((await again.p.stop())!.status).toBe(200);
    w.ws.close();
  });
});
