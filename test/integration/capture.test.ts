/**
 * Capture against real ffmpeg and a real NATS server: StreamStart → ffmpeg → JPEG frames on
 * FrameRecognize (answered here by a stand-in recognizer) → StreamStatus events.
 *
 * The capture subjects and queue groups are fixed by the contracts, so on a shared NATS another
 * capture instance or recognizer (someone else's test run) could take our requests. When
 * `nats-server` is installed the test therefore runs its own on a free port; otherwise it falls
 * back to NATS_URL and warns.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import sharp from 'sharp';
import {
  FrameRecognize,
  HealthCheck,
  StreamList,
  StreamStart,
  StreamStatus,
  StreamStop,
  type Stream,
} from '@glimpse/contracts';
import { Bus, GlimpseError } from '@glimpse/platform';
import { freePort, until } from '@glimpse/testing';
import { AppModule } from '../../services/capture/src/app.module';
import { DEFAULT_STREAM_FORMATS, loadCaptureConfig } from '../../services/capture/src/config';
import { FfmpegSource, ffmpegArgs } from '../../services/capture/src/ffmpeg.source';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';
import { testPattern } from '../support/test-pattern';

interface Received {
  seq: number;
  at: number;
  capturedAt: string;
  store: boolean;
  body: Buffer;
}

const dir = mkdtempSync(join(tmpdir(), 'glimpse-capture-it-'));
const instance = `capture-it-${process.pid}`;
let nats: PrivateNats;
let app: INestApplicationContext | undefined;
let client: Bus;

const frames = new Map<string, Received[]>();
const statuses = new Map<string, Stream[]>();
const delays = new Map<string, number>();
const inFlight = new Map<string, number>();
const maxInFlight = new Map<string, number>();
/** Set by the stand-in before it replies, so a test can wait for a frame's reply to land. */
const replied = new Map<string, number>();

function video(name: string, seconds: number, size = '640x480'): string {
  return testPattern(join(dir, name), { size, fps: 25, seconds });
}

async function listen(srv: Server | TcpServer): Promise<number> {
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return (srv.address() as { port: number }).port;
}

const lastStatus = (id: string) => statuses.get(id)?.at(-1);
const finished = (id: string) => {
  const s = lastStatus(id);
  return s && !['starting', 'running'].includes(s.state) ? s : undefined;
};
const settled = (id: string) => {
  const s = finished(id);
  return s && s.framesCaptured === s.framesProcessed + s.framesSkipped + s.framesFailed ? s : undefined;
};
const ffmpegRunningFor = (path: string) => {
  try {
    execFileSync('pgrep', ['-f', `ffmpeg.*${path}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

async function errorOf(p: Promise<unknown>): Promise<GlimpseError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof GlimpseError)) throw new Error(`expected a GlimpseError, got ${String(err)}`);
  return err;
}

let clip4s: string;
let clip1s: string;
let http: Server;
let blackHole: TcpServer;
let httpUrl: string;
let blackHoleUrl: string;

beforeAll(async () => {
  clip4s = video('clip4s.mp4', 4);
  clip1s = video('clip1s.mp4', 1);
  // MPEG-TS, like a live HTTP camera: mp4 would need range requests to reach its index
  const ts = video('clip1s.ts', 1);
  http = createHttpServer((req, res) => {
    const self = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    if (req.url === '/redirect') return void res.writeHead(302, { location: `${self}/clip1s.ts` }).end();
    if (req.url === '/live.m3u8') {
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
      return void res.end(`#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n${self}/clip1s.ts\n#EXT-X-ENDLIST\n`);
    }
    res.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': statSync(ts).size });
    createReadStream(ts).pipe(res);
  });
  // accepts connections and never says a word: a camera that hangs
  blackHole = createServer(() => undefined);
  httpUrl = `http://127.0.0.1:${await listen(http)}/clip1s.ts`;
  blackHoleUrl = `http://127.0.0.1:${await listen(blackHole)}/live`;
  nats = await startPrivateNats();
  const url = nats.url;
  client = await Bus.connect({
    servers: url,
    name: 'capture-it-client',
    logger: { log() {}, warn: console.warn, error: console.error },
  });

  client.handleBinary(
    FrameRecognize.contract,
    async ({ body, headers }) => {
      const source = headers['Glimpse-Source'];
      const n = (inFlight.get(source) ?? 0) + 1;
      inFlight.set(source, n);
      maxInFlight.set(source, Math.max(maxInFlight.get(source) ?? 0, n));
      const list = frames.get(source) ?? [];
      frames.set(source, list);
      list.push({
        seq: headers['Glimpse-Seq'],
        at: Date.now(),
        capturedAt: headers['Glimpse-Captured-At'],
        store: headers['Glimpse-Store'],
        body: Buffer.from(body),
      });
      await new Promise((r) => setTimeout(r, delays.get(source) ?? 0)); // a slow recognizer, per source
      inFlight.set(source, n - 1);
      replied.set(source, (replied.get(source) ?? 0) + 1);
      return {
        frame: {
          source,
          seq: headers['Glimpse-Seq'],
          capturedAt: headers['Glimpse-Captured-At'],
          width: 640,
          height: 480,
        },
        faces: [],
        timings: {},
        processedBy: 'stand-in',
      };
    },
    { queue: FrameRecognize.queue },
  );
  client.subscribe(StreamStatus.contract, (s) => {
    const list = statuses.get(s.id) ?? [];
    statuses.set(s.id, list);
    list.push(s);
  });

  const cfg = loadCaptureConfig({
    NATS_URL: url,
    INSTANCE_ID: instance,
    STATUS_INTERVAL_MS: '500',
    NETWORK_TIMEOUT_MS: '1000',
    STALL_TIMEOUT_MS: '4000',
    MAX_FRAME_WIDTH: '1280',
    // this test's clips and local HTTP servers: opted in, as an operator would for a LAN camera
    STREAM_ALLOWED_SCHEMES: 'rtsp,http,file',
    STREAM_FILE_ROOTS: dir,
    STREAM_ALLOWED_HOSTS: '127.0.0.1',
  });
  app = await NestFactory.createApplicationContext(AppModule.forRoot(cfg), { logger: ['error'] });
  app.enableShutdownHooks();
  await client.nc.flush();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await client?.close();
  http?.closeAllConnections();
  http?.close();
  blackHole?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const start = (req: StreamStart.Request) => client.request(StreamStart.contract, req, 10_000);

it('answers its health check with ffmpeg available', async () => {
  const h = await client.request(HealthCheck.contractFor('capture'), {}, 5_000);
  expect(h).toMatchObject({
    service: 'capture',
    instance,
    ok: true,
    checks: { ffmpeg: { ok: true, detail: expect.stringMatching(/^ffmpeg version/) } },
  });
});

it('plays a file in real time: JPEG frames at the requested rate, then ended', async () => {
  const t0 = Date.now();
  const s = await start({ url: clip4s, fps: 4 });
  expect(s).toMatchObject({ url: clip4s, fps: 4, state: 'running', instance, framesCaptured: 0 });

  const end = await until('the stream to end', () => settled(s.id));
  const elapsed = (Date.now() - t0) / 1000;
  const got = frames.get(s.id) ?? [];
  expect(end).toMatchObject({ state: 'ended', error: null, endedAt: expect.any(String) });
  expect(end.framesSkipped).toBe(0);
  expect(end.framesProcessed).toBe(got.length);
  // 4 s at 4 fps, played in real time (-re) rather than as fast as ffmpeg can decode
  expect(got.length).toBeGreaterThanOrEqual(14);
  expect(got.length).toBeLessThanOrEqual(18);
  expect(elapsed).toBeGreaterThan(3.5);
  expect((got.at(-1)!.at - got[0].at) / 1000).toBeGreaterThan(2.5);

  got.forEach((f, i) => {
    expect(f.seq).toBe(i);
    expect(f.store).toBe(true);
    expect(Date.parse(f.capturedAt)).toBeGreaterThanOrEqual(t0);
  });
  for (const f of [got[0], got.at(-1)!]) {
    const meta = await sharp(f.body).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 640, height: 480 });
  }

  const states = statuses.get(s.id)!.map((x) => x.state);
  expect(states[0]).toBe('running');
  expect(states.filter((x) => x === 'running').length).toBeGreaterThanOrEqual(3); // periodic progress
  expect(states.at(-1)).toBe('ended');

  const [list] = await client.gather(StreamList.contract, {}, 1_000);
  expect(list.items.find((x) => x.id === s.id)).toMatchObject({ state: 'ended', framesProcessed: got.length });
});

it('skips frames while the previous one is still being recognized', async () => {
  const s = await start({ url: clip4s, fps: 5 });
  delays.set(s.id, 900);
  const end = await until('the slow stream to settle', () => settled(s.id), 20_000);
  expect(end.state).toBe('ended');
  expect(end.framesSkipped).toBeGreaterThan(5);
  expect(end.framesProcessed).toBe(frames.get(s.id)!.length);
  expect(end.framesProcessed).toBeLessThan(end.framesCaptured / 2);
  expect(maxInFlight.get(s.id)).toBe(1);
  const seqs = frames.get(s.id)!.map((f) => f.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(new Set(seqs).size).toBe(seqs.length);
});

it('loops a file until StreamStop, which kills ffmpeg', async () => {
  const s = await start({ url: `file://${clip1s}`, fps: 5, loop: true });
  // a 1 s clip at 5 fps yields ~5 frames per pass: 12 means it looped
  await until('a second pass over the clip', () => (frames.get(s.id)?.length ?? 0) >= 12, 10_000);
  expect(ffmpegRunningFor(clip1s)).toBe(true);

  const stopped = await client.request(StreamStop.contract, { id: s.id }, 5_000);
  expect(stopped).toMatchObject({ id: s.id, state: 'stopped', error: null });
  expect(ffmpegRunningFor(clip1s)).toBe(false);
  const count = frames.get(s.id)!.length;
  await new Promise((r) => setTimeout(r, 1_000)); // a window for frames that must not come
  expect(frames.get(s.id)!.length).toBe(count);
  expect(lastStatus(s.id)?.state).toBe('stopped');

  const [list] = await client.gather(StreamList.contract, {}, 1_000);
  expect(list.items.find((x) => x.id === s.id)?.state).toBe('stopped');
  // stopping a stream nobody owns gets no answer at all
  expect((await errorOf(client.request(StreamStop.contract, { id: 's_nobody0000' }, 500))).code).toBe('TIMEOUT');
});

it('refuses bad URLs with INVALID_REQUEST', async () => {
  const ftp = await errorOf(start({ url: 'ftp://x' }));
  expect(ftp.code).toBe('INVALID_REQUEST');
  expect(ftp.message).toMatch(/'ftp:' scheme is not allowed/);
  const missing = await errorOf(start({ url: join(dir, 'missing.mp4') }));
  expect(missing.code).toBe('INVALID_REQUEST');
  expect(missing.message).toMatch(/file not found/);
  expect((await errorOf(start({ url: 'clip.mp4' }))).code).toBe('INVALID_REQUEST');
});

it('refuses sources outside the operator’s policy before touching them', async () => {
  const refusals: Array<[string, RegExp]> = [
    ['/etc/passwd', /files must lie under one of the directories in STREAM_FILE_ROOTS$/],
    [`file://${dir}/../../etc/passwd`, /files must lie under one of the directories in STREAM_FILE_ROOTS$/],
    ['http://169.254.169.254/latest/meta-data/', /not a public address \(link-local/],
    ['rtsp://10.0.0.1/live', /STREAM_ALLOWED_HOSTS/],
    ['https://127.0.0.1/x', /'https:' scheme is not allowed/],
    ['concat:/etc/passwd', /'concat:' scheme is not allowed/],
  ];
  for (const [url, why] of refusals) {
    const err = await errorOf(start({ url }));
    expect(err.code).toBe('INVALID_REQUEST');
    expect(err.message).toMatch(why);
  }
  const [list] = await client.gather(StreamList.contract, {}, 1_000);
  expect(list.items.filter((x) => refusals.some(([url]) => x.url === url))).toEqual([]);
});

it('does not follow HTTP redirects nor read playlists, which could lead anywhere', async () => {
  const port = (http.address() as { port: number }).port;
  const redirect = await start({ url: `http://127.0.0.1:${port}/redirect` });
  const playlist = await start({ url: `http://127.0.0.1:${port}/live.m3u8` });
  for (const s of [redirect, playlist]) {
    const end = await until('the stream to fail', () => finished(s.id));
    expect(end.state).toBe('failed');
    expect(frames.get(s.id) ?? []).toEqual([]);
  }
});

it('ends a source at its maximum duration (STREAM_MAX_DURATION_S), killing ffmpeg', async () => {
  const limits = { networkTimeoutMs: 1_000, formats: DEFAULT_STREAM_FORMATS.split(',') };
  const args = ffmpegArgs({ kind: 'file', path: clip1s, loop: true }, { fps: 5, maxWidth: 640 }, limits);
  const source = new FfmpegSource('ffmpeg', args, [], 2_000);
  let got = 0;
  let ended = 0;
  let failed: Error | undefined;
  const t0 = Date.now();
  await source.start({ frame: () => void got++, end: () => void (ended = Date.now()), fail: (e) => void (failed = e) });
  await until('the time limit', () => ended || failed, 10_000);
  expect(failed).toBeUndefined();
  expect((ended - t0) / 1000).toBeGreaterThanOrEqual(1.9);
  expect((ended - t0) / 1000).toBeLessThan(6);
  expect(got).toBeGreaterThanOrEqual(5); // it looped through the clip until then
  expect(ffmpegRunningFor(clip1s)).toBe(false);
});

it('fails a stream whose file is not a video, with ffmpeg’s message', async () => {
  const bogus = join(dir, 'bogus.mp4');
  writeFileSync(bogus, 'this is not a video\n'.repeat(100));
  const s = await start({ url: bogus });
  const end = await until('the stream to fail', () => finished(s.id));
  expect(end.state).toBe('failed');
  expect(end.error).toMatch(/ffmpeg exited with code \d+: .*Invalid data/s);
});

it('scales frames wider than MAX_FRAME_WIDTH down, keeping the aspect ratio', async () => {
  const s = await start({ url: video('wide.mp4', 1, '1920x1080'), fps: 2 });
  await until('the stream to end', () => settled(s.id));
  const got = frames.get(s.id)!;
  expect(got.length).toBeGreaterThan(0);
  expect(await sharp(got[0].body).metadata()).toMatchObject({ format: 'jpeg', width: 1280, height: 720 });
});

it('reads an http source', async () => {
  const s = await start({ url: httpUrl, fps: 5 });
  const end = await until('the http stream to end', () => settled(s.id));
  expect(end).toMatchObject({ state: 'ended', url: httpUrl });
  // no -re for network sources: a finite one arrives in a burst, so most frames are skipped
  expect(end.framesCaptured).toBeGreaterThanOrEqual(4);
  expect(end.framesProcessed).toBe(frames.get(s.id)!.length);
  expect(end.framesProcessed).toBeGreaterThanOrEqual(1);
});

it('fails a network source that hangs or refuses, instead of waiting forever', async () => {
  const hung = await start({ url: blackHoleUrl });
  const refusedUrl = `rtsp://127.0.0.1:${await freePort()}/live`;
  const refused = await start({ url: refusedUrl });
  const a = await until('the hung source to fail', () => finished(hung.id), 8_000);
  const b = await until('the refused source to fail', () => finished(refused.id), 8_000);
  expect(a.state).toBe('failed');
  expect(a.error).toMatch(/ffmpeg|stalled/);
  expect(b.state).toBe('failed');
  expect(b.error).toMatch(/Connection refused/i);
});

it('stops its streams on shutdown, killing ffmpeg, before the bus closes', async () => {
  const s = await start({ url: clip1s, fps: 2, loop: true });
  await until('a first frame', () => replied.get(s.id));
  await app!.close();
  app = undefined;
  const end = await until('the final status', () => finished(s.id), 2_000);
  expect(end).toMatchObject({ state: 'stopped', error: 'capture instance shut down' });
  expect(ffmpegRunningFor(clip1s)).toBe(false);
  expect((await errorOf(start({ url: clip1s }))).code).toBe('SERVICE_UNAVAILABLE'); // no responders left
});
