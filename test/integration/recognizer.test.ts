/**
 * The recognizer in-process against the real Python worker and a real NATS server, with a stand-in
 * matcher on the bus that records what it is asked: detection, encoding, crops, error mapping, and
 * failing fast (then recovering) when the worker goes away.
 *
 * The contracts' subjects are fixed, so on a shared NATS server another running recognizer or
 * matcher would take part in these requests; the test starts its own nats-server when the binary
 * is there, and falls back to NATS_URL otherwise.
 */
import 'reflect-metadata';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import { readFileSync } from 'node:fs';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import sharp from 'sharp';
import { FrameEncode, FrameRecognize, HealthCheck, MatchFaces, type RecognizedFace } from '@glimpse/contracts';
import { Bus, GlimpseError } from '@glimpse/platform';
import { faceOfNobody, freePort, until } from '@glimpse/testing';
import { AppModule } from '../../services/recognizer/src/app.module';
import { loadRecognizerConfig } from '../../services/recognizer/src/config';
import { blank } from '../support/media';
import { fixturePhotos, startWorker, type RunningWorker } from '../support/worker';

// jest 29 ignores testTimeout inside `projects`, so set it here.
jest.setTimeout(120_000);

const RUN = randomBytes(4).toString('hex');
const INSTANCE = `recognizer-it-${RUN}`;
const photos = fixturePhotos();
const withPhotos = photos.length ? it : it.skip;

let nats: { url: string; stop(): Promise<void> };
let worker: RunningWorker;
let app: INestApplicationContext;
let client: Bus;
const matcherCalls: MatchFaces.Request[] = [];
let seq = 0;

function headers(contentType: 'image/jpeg' | 'image/png' = 'image/jpeg'): FrameRecognize.Headers {
  return {
    'Glimpse-Source': `it-${RUN}`,
    'Glimpse-Seq': seq++,
    'Glimpse-Captured-At': new Date().toISOString(),
    'Glimpse-Store': 'false',
    'Content-Type': contentType,
  };
}

const recognize = (image: Uint8Array, h = headers()) => client.requestBinary(FrameRecognize.contract, image, h, 30_000);

async function failure(p: Promise<unknown>): Promise<GlimpseError> {
  const err = await p.then(
    () => new Error('expected the request to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GlimpseError);
  return err as GlimpseError;
}

beforeAll(async () => {
  nats = await startNats();
  worker = await startWorker();
  const cfg = loadRecognizerConfig({
    NATS_URL: nats.url,
    WORKER_URLS: worker.url,
    INSTANCE_ID: INSTANCE,
    WORKER_TIMEOUT_MS: '20000',
    LOG_LEVEL: 'warn',
  });
  app = await NestFactory.createApplicationContext(AppModule.forRoot(cfg), { logger: ['error'] });
  app.enableShutdownHooks();
  client = await Bus.connect({ servers: nats.url, name: `recognizer-it-client-${RUN}` });
  client.handle(
    MatchFaces.contract,
    async (req) => {
      matcherCalls.push(req);
      return { faces: req.faces.map((f): RecognizedFace => ({ ...unmatched, box: f.box })) };
    },
    { queue: MatchFaces.queue },
  );
});

afterAll(async () => {
  await app?.close();
  await client?.close();
  await worker?.stop();
  await nats?.stop();
});

beforeEach(() => {
  matcherCalls.length = 0;
});

const unmatched: RecognizedFace = faceOfNobody({ x: 0, y: 0, width: 1, height: 1 });

withPhotos('finds the face in a photo and hands its encoding and a JPEG crop to the matcher', async () => {
  const photo = readFileSync(photos[0].path);
  const h = { ...headers(), 'Glimpse-Threshold': 0.55 };
  const reply = await recognize(photo, h);

  expect(reply.processedBy).toBe(INSTANCE);
  expect(reply.frame).toEqual({
    source: h['Glimpse-Source'],
    seq: h['Glimpse-Seq'],
    capturedAt: h['Glimpse-Captured-At'],
    width: 250,
    height: 250,
  });
  expect(reply.faces).toHaveLength(1);
  expect(Object.keys(reply.timings)).toEqual(
    expect.arrayContaining(['workerMs', 'detectMs', 'encodeMs', 'matchMs', 'totalMs']),
  );

  expect(matcherCalls).toHaveLength(1);
  const [call] = matcherCalls;
  expect(call).toMatchObject({ frame: reply.frame, store: false, threshold: 0.55 });
  expect(call.faces).toHaveLength(1);
  const [face] = call.faces;
  expect(face.encoding).toHaveLength(128);
  expect(reply.faces[0].box).toEqual(face.box);
  const jpeg = Buffer.from(face.crop, 'base64');
  expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  const meta = await sharp(jpeg).metadata();
  expect(meta.format).toBe('jpeg');
  expect(meta.width).toBeGreaterThan(face.box.width);
  expect(meta.width).toBeLessThanOrEqual(250);
  // the worker's quality, for the matcher to keep the best crop of a sighting
  expect(face.quality).toEqual({ faceWidth: face.box.width, sharpness: expect.any(Number), yaw: expect.any(Number) });
  expect(face.quality!.sharpness).toBeGreaterThan(0);
});

withPhotos('encodes without crops or the matcher on FrameEncode', async () => {
  const photo = readFileSync(photos[0].path);
  const reply = await client.requestBinary(FrameEncode.contract, photo, { 'Content-Type': 'image/jpeg' }, 30_000);
  expect(reply).toMatchObject({ width: 250, height: 250, processedBy: INSTANCE });
  expect(reply.faces).toHaveLength(1);
  expect(Object.keys(reply.faces[0]).sort()).toEqual(['box', 'encoding']);
  expect(matcherCalls).toHaveLength(0);
});

withPhotos('returns each face’s JPEG crop and quality on FrameEncode with Glimpse-Crops: true', async () => {
  const photo = readFileSync(photos[0].path);
  const h = { 'Content-Type': 'image/jpeg', 'Glimpse-Crops': 'true' } as const;
  const reply = await client.requestBinary(FrameEncode.contract, photo, h, 30_000);
  expect(reply.faces).toHaveLength(1);
  const [face] = reply.faces;
  expect(Object.keys(face).sort()).toEqual(['box', 'crop', 'encoding', 'quality']);
  expect(face.quality).toEqual({ faceWidth: face.box.width, sharpness: expect.any(Number), yaw: expect.any(Number) });
  expect(face.quality!.sharpness).toBeGreaterThan(0);
  const meta = await sharp(Buffer.from(face.crop!, 'base64')).metadata();
  expect(meta.format).toBe('jpeg');
  expect(meta.width).toBeGreaterThan(face.box.width);
  expect(matcherCalls).toHaveLength(0);
});

it('finds no face in a blank image and does not ask the matcher', async () => {
  const reply = await recognize(await blank(640, 480, 'png'), headers('image/png'));
  expect(reply.faces).toEqual([]);
  expect(reply.frame).toMatchObject({ width: 640, height: 480 });
  expect(matcherCalls).toHaveLength(0);
});

it('answers INVALID_IMAGE for a corrupt JPEG', async () => {
  const whole = await blank(320, 240, 'jpeg');
  const err = await failure(recognize(whole.subarray(0, whole.length >> 1)));
  expect(err.code).toBe('INVALID_IMAGE');
  expect(err.message).toMatch(/^could not decode image: /);
  expect(matcherCalls).toHaveLength(0);
});

it('answers its health check', async () => {
  const reply = await client.request(HealthCheck.contractFor('recognizer'), {});
  expect(reply).toMatchObject({
    service: 'recognizer',
    instance: INSTANCE,
    ok: true,
    checks: { nats: { ok: true }, worker: { ok: true } },
  });
});

it('fails fast with WORKER_UNAVAILABLE while the worker is down, and recovers when it is back', async () => {
  const image = await blank(320, 240, 'jpeg');
  await worker.stop();

  const started = Date.now();
  const err = await failure(recognize(image));
  expect(Date.now() - started).toBeLessThan(3_000);
  expect(err.code).toBe('WORKER_UNAVAILABLE');
  expect(err.message).toContain(worker.url);
  const health = await client.request(HealthCheck.contractFor('recognizer'), {});
  expect(health.ok).toBe(false);

  worker = await startWorker({ port: worker.port });
  const reply = await recognize(image);
  expect(reply.faces).toEqual([]);
});

/** A private nats-server on a free port, or the shared NATS_URL when the binary is missing. */
async function startNats(): Promise<{ url: string; stop(): Promise<void> }> {
  const bin = process.env.NATS_SERVER_BIN || 'nats-server';
  if (spawnSync(bin, ['--version']).error) {
    const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
    console.warn(`nats-server not found: using the shared ${url}, where other running Glimpse services may interfere`);
    return { url, stop: async () => undefined };
  }
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  await until(
    `nats-server on port ${port}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      return portOpen(port);
    },
    10_000,
  );
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
