/**
 * The gateway alone: the real Nest app on a free port, real NATS, and stand-in responders on the
 * bus for the recognizer, matcher and capture services (the full stack is tested in stack.test.ts).
 * A private nats-server is started when the binary exists, so that no other test's responders
 * can answer these fixed subjects.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import WebSocket from 'ws';
import type { NestExpressApplication } from '@nestjs/platform-express';
import {
  FaceCrop,
  FrameEncode,
  FrameRecognize,
  HealthCheck,
  PersonDelete,
  PersonGet,
  PersonsList,
  RecognitionEvent,
  StreamList,
  StreamStart,
  StreamStatus,
  StreamStop,
  type Stream,
} from '@glimpse/contracts';
import { Bus, GlimpseError } from '@glimpse/platform';
import type { Subscription } from 'nats';
import { freePort, until } from '@glimpse/testing';
import { createApp } from '../../services/gateway/src/app';
import { loadGatewayConfig } from '../../services/gateway/src/config';
import { authed, TEST_ADMIN_KEY, wsWithKey } from '../support/auth';

const fetch = authed(() => TEST_ADMIN_KEY);

jest.setTimeout(60_000);

const PERSON = '11111111-1111-4111-8111-111111111111';
const FACE = '22222222-2222-4222-8222-222222222222';
const MISSING = '33333333-3333-4333-8333-333333333333';
const NOW = '2026-01-01T00:00:00.000Z';

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

const stream = (id: string, instance: string, over: Partial<Stream> = {}): Stream => ({
  id,
  url: `/videos/${id}.mp4`,
  fps: 2,
  state: 'running',
  error: null,
  startedAt: NOW,
  endedAt: null,
  framesCaptured: 10,
  framesSkipped: 0,
  framesProcessed: 9,
  framesFailed: 1,
  instance,
  ...over,
});

const noisyJpeg = (width: number, height: number) => {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
};

/** What the stand-ins saw, and switches to make them misbehave. */
const seen = {
  recognize: [] as Array<{ headers: Record<string, unknown>; bytes: number; width: number; height: number }>,
  streamStarts: [] as unknown[],
  personsList: [] as unknown[],
};
const faults = {
  recognize: null as GlimpseError | null,
  recognizeDelayMs: 0,
  delayed: [] as Promise<unknown>[],
  worker: true,
};

async function startStandIns(bus: Bus): Promise<Subscription[]> {
  const person = {
    id: PERSON,
    number: 7,
    name: null,
    faceCount: 2,
    createdAt: NOW,
    lastSeenAt: NOW,
    coverFaceId: FACE,
  };
  const crop = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#888' } })
    .jpeg()
    .toBuffer();
  const health = (
    service: 'recognizer' | 'matcher' | 'capture',
    checks: () => Record<string, { ok: boolean; detail?: string }>,
  ) =>
    bus.handle(HealthCheck.contractFor(service), async () => {
      const c = checks();
      return { service, instance: `${service}-test`, ok: Object.values(c).every((x) => x.ok), checks: c };
    });
  return [
    bus.handleBinary(
      FrameRecognize.contract,
      async ({ body, headers }) => {
        const { width = 0, height = 0 } = await sharp(body).metadata();
        seen.recognize.push({ headers, bytes: body.length, width, height });
        if (faults.recognizeDelayMs) {
          // a slow recognizer is the behaviour under test; the test waits for it to finish
          const slow = new Promise((r) => setTimeout(r, faults.recognizeDelayMs));
          faults.delayed.push(slow);
          await slow;
        }
        if (faults.recognize) throw faults.recognize;
        const stored = headers['Glimpse-Store'];
        return {
          frame: {
            source: headers['Glimpse-Source'],
            seq: headers['Glimpse-Seq'],
            capturedAt: headers['Glimpse-Captured-At'],
            width,
            height,
          },
          faces: [
            {
              faceId: stored ? FACE : null,
              box: {
                x: Math.round(width / 4),
                y: Math.round(height / 4),
                width: Math.round(width / 2),
                height: Math.round(height / 2),
              },
              personId: PERSON,
              personNumber: 7,
              personName: null,
              isNew: false,
              distance: 0.3,
              similarity: 97,
            },
          ],
          timings: { total: 1 },
          processedBy: 'stand-in',
        };
      },
      { queue: FrameRecognize.queue },
    ),
    bus.handleBinary(
      FrameEncode.contract,
      async ({ body }) => {
        const { width = 0, height = 0 } = await sharp(body).metadata();
        return {
          width,
          height,
          faces: [
            { box: { x: 0, y: 0, width: 10, height: 10 }, encoding: Array.from({ length: 128 }, (_, i) => i / 128) },
          ],
          timings: {},
          processedBy: 'stand-in',
        };
      },
      { queue: FrameEncode.queue },
    ),
    bus.handle(PersonsList.contract, async (req) => {
      seen.personsList.push(req);
      return { items: [person], total: 1, page: req.page, pageSize: req.pageSize };
    }),
    bus.handle(PersonGet.contract, async ({ id }) => {
      if (id !== PERSON) throw new GlimpseError('NOT_FOUND', `no person ${id}`);
      return {
        ...person,
        faces: [
          { id: FACE, box: { x: 1, y: 2, width: 3, height: 4 }, source: 'upload', capturedAt: NOW, createdAt: NOW },
        ],
      };
    }),
    bus.handle(PersonDelete.contract, async ({ id }) => {
      if (id !== PERSON) throw new GlimpseError('NOT_FOUND', `no person ${id}`);
      return { id, deletedFaces: 2 };
    }),
    bus.handle(FaceCrop.contract, async ({ id }) => {
      if (id !== FACE) throw new GlimpseError('NOT_FOUND', `no face ${id}`);
      return { id, jpeg: crop.toString('base64') };
    }),
    bus.handle(StreamStart.contract, async (req) => {
      seen.streamStarts.push(req);
      return stream(`st-${seen.streamStarts.length}`, 'capture-a', {
        url: req.url,
        fps: req.fps ?? 2,
        state: 'starting',
      });
    }),
    // Two capture instances, each owning one stream: list merges, stop finds the owner.
    bus.handle(StreamList.contract, async () => ({
      items: [stream('cam-a', 'capture-a', { startedAt: '2026-01-01T00:00:01.000Z' })],
    })),
    bus.handle(StreamList.contract, async () => ({
      items: [stream('cam-b', 'capture-b', { startedAt: '2026-01-01T00:00:02.000Z' })],
    })),
    bus.handle(StreamStop.contract, async ({ id }) =>
      id === 'cam-a' ? stream('cam-a', 'capture-a', { state: 'stopped' }) : undefined,
    ),
    bus.handle(StreamStop.contract, async ({ id }) =>
      id === 'cam-b' ? stream('cam-b', 'capture-b', { state: 'stopped' }) : undefined,
    ),
    health('recognizer', () => ({
      worker: faults.worker ? { ok: true, detail: 'http://127.0.0.1:1' } : { ok: false, detail: 'connection refused' },
    })),
    health('matcher', () => ({ database: { ok: true } })),
    health('capture', () => ({ ffmpeg: { ok: true } })),
  ];
}

describe('gateway (real NATS, stand-in services)', () => {
  let nats: ChildProcess | undefined;
  let natsUrl: string;
  let standIns: Bus;
  let subs: Subscription[] = [];
  let app: NestExpressApplication;
  let url: string;
  const uploadDir = mkdtempSync(join(tmpdir(), 'glimpse-gw-uploads-'));

  const post = (path: string, body: BodyInit, type?: string) =>
    fetch(`${url}${path}`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
  const problem = async (res: Response, status: number | number[]) => {
    expect([status].flat()).toContain(res.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = await res.json();
    expect(body).toEqual(
      expect.objectContaining({
        status: res.status,
        code: expect.any(String),
        title: expect.any(String),
        detail: expect.any(String),
      }),
    );
    expect(body.detail).not.toMatch(/\bat \S+\.(js|ts):\d+/);
    return body as { detail: string; code: string };
  };

  beforeAll(async () => {
    if (!spawnSync(process.env.NATS_SERVER_BIN || 'nats-server', ['--version']).error) {
      const port = await freePort();
      nats = spawn(process.env.NATS_SERVER_BIN || 'nats-server', ['-a', '127.0.0.1', '-p', String(port)], {
        stdio: 'ignore',
      });
      await until('nats-server', () => portOpen(port));
      natsUrl = `nats://127.0.0.1:${port}`;
    } else {
      natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
      console.warn(
        `\n*** no nats-server binary: using the shared NATS at ${natsUrl}; other tests' responders may interfere ***\n`,
      );
    }
    standIns = await Bus.connect({ servers: natsUrl, name: 'gateway-test-stand-ins' });
    subs = await startStandIns(standIns);
    await standIns.nc.flush();
    const cfg = loadGatewayConfig({
      NATS_URL: natsUrl,
      ADMIN_API_KEY: TEST_ADMIN_KEY,
      UPLOAD_DIR: uploadDir,
      LOG_LEVEL: 'error',
      HEALTH_TIMEOUT_MS: '1000',
      GATHER_TIMEOUT_MS: '200',
      RECOGNIZE_TIMEOUT_MS: '1500',
      WS_PING_INTERVAL_MS: '1000',
    });
    app = await createApp(cfg, false);
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await app?.close();
    await standIns?.close();
    nats?.kill();
  });

  beforeEach(() => {
    seen.recognize.length = 0;
    faults.recognize = null;
    faults.recognizeDelayMs = 0;
    faults.delayed = [];
    faults.worker = true;
  });

  describe('POST /api/v1/recognize', () => {
    it('recognizes a raw JPEG and maps faces with cropUrl', async () => {
      const jpeg = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#abc' } })
        .jpeg()
        .toBuffer();
      const res = await post('/api/v1/recognize', jpeg, 'image/jpeg');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(await res.json()).toEqual({
        faces: [
          {
            faceId: FACE,
            box: { x: 100, y: 50, width: 200, height: 100 },
            personId: PERSON,
            personNumber: 7,
            personName: null,
            isNew: false,
            distance: 0.3,
            similarity: 97,
            cropUrl: `/api/v1/faces/${FACE}/crop`,
          },
        ],
      });
      const [{ headers }] = seen.recognize;
      expect(headers).toMatchObject({
        'Glimpse-Source': 'upload',
        'Glimpse-Store': true,
        'Content-Type': 'image/jpeg',
      });
      expect(headers['Glimpse-Seq']).toEqual(expect.any(Number));
      expect(Date.now() - Date.parse(String(headers['Glimpse-Captured-At']))).toBeLessThan(10_000);
    });

    it('accepts multipart uploads and passes store=false and threshold', async () => {
      const png = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#abc' } })
        .png()
        .toBuffer();
      const form = new FormData();
      form.append('image', new Blob([png], { type: 'image/png' }), 'face.png');
      const res = await post('/api/v1/recognize?store=false&threshold=0.45', form);
      expect(res.status).toBe(200);
      const { faces } = await res.json();
      expect(faces[0]).toMatchObject({ faceId: null, cropUrl: null, box: { x: 25, y: 25, width: 50, height: 50 } });
      expect(seen.recognize[0].headers).toMatchObject({
        'Glimpse-Store': false,
        'Glimpse-Threshold': 0.45,
        'Content-Type': 'image/png',
      });
    });

    it('trusts magic bytes, not the Content-Type', async () => {
      const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#abc' } })
        .png()
        .toBuffer();
      expect((await post('/api/v1/recognize', png, 'image/jpeg')).status).toBe(200);
      expect(seen.recognize[0].headers['Content-Type']).toBe('image/png');
    });

    it('applies EXIF orientation before recognition', async () => {
      const jpeg = await sharp({ create: { width: 300, height: 100, channels: 3, background: '#abc' } })
        .jpeg()
        .withMetadata({ orientation: 6 })
        .toBuffer();
      const res = await post('/api/v1/recognize', jpeg, 'image/jpeg');
      expect(res.status).toBe(200);
      expect(seen.recognize[0]).toMatchObject({ width: 100, height: 300 });
      expect((await res.json()).faces[0].box).toEqual({ x: 25, y: 75, width: 50, height: 150 });
    });

    it('downscales an image larger than NATS max_payload and maps boxes back', async () => {
      const big = await noisyJpeg(2000, 1500);
      expect(big.length).toBeGreaterThan(standIns.maxPayload);
      const res = await post('/api/v1/recognize', big, 'image/jpeg');
      expect(res.status).toBe(200);
      const sent = seen.recognize[0];
      expect(sent.bytes).toBeLessThanOrEqual(standIns.maxPayload - 64 * 1024);
      expect(sent.width).toBeLessThan(2000);
      const { box } = (await res.json()).faces[0];
      expect(Math.abs(box.x - 500)).toBeLessThanOrEqual(3);
      expect(Math.abs(box.y - 375)).toBeLessThanOrEqual(3);
      expect(Math.abs(box.width - 1000)).toBeLessThanOrEqual(4);
      expect(Math.abs(box.height - 750)).toBeLessThanOrEqual(4);
    });

    it('refuses a text file (415 for a text type, 400 when it claims to be an image)', async () => {
      const text = Buffer.from('hello, I am not an image\n');
      expect((await problem(await post('/api/v1/recognize', text, 'text/plain'), 415)).code).toBe(
        'UNSUPPORTED_MEDIA_TYPE',
      );
      const lying = await problem(await post('/api/v1/recognize', text, 'image/jpeg'), 400);
      expect(lying).toMatchObject({ code: 'INVALID_IMAGE', detail: expect.stringMatching(/not an image/) });
      expect(seen.recognize).toHaveLength(0);
    });

    it('refuses an empty body', async () => {
      expect((await problem(await post('/api/v1/recognize', Buffer.alloc(0), 'image/jpeg'), 400)).detail).toMatch(
        /empty body/,
      );
    });

    it('refuses a 30 MB body with 413, quickly', async () => {
      const started = Date.now();
      const res = await post('/api/v1/recognize', Buffer.alloc(30 * 1024 * 1024, 1), 'image/jpeg');
      expect((await problem(res, 413)).detail).toMatch(/MAX_UPLOAD_BYTES/);
      expect(Date.now() - started).toBeLessThan(5_000);
      // the connection stays usable for the next request
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    });

    it('refuses a 10000x10000 PNG from its header (413)', async () => {
      const bomb = await sharp({ create: { width: 10000, height: 10000, channels: 3, background: '#fff' } })
        .png()
        .toBuffer();
      expect((await problem(await post('/api/v1/recognize', bomb, 'image/png'), 413)).detail).toMatch(/10000x10000/);
      expect(seen.recognize).toHaveLength(0);
    });

    it('refuses corrupt image data (400)', async () => {
      const good = await noisyJpeg(300, 300);
      const corrupt = Buffer.concat([good.subarray(0, 200), Buffer.alloc(500, 7)]);
      expect((await problem(await post('/api/v1/recognize', corrupt, 'image/jpeg'), 400)).code).toBe('INVALID_IMAGE');
    });

    it('validates the query strictly', async () => {
      const jpeg = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#abc' } })
        .jpeg()
        .toBuffer();
      expect((await problem(await post('/api/v1/recognize?threshold=5', jpeg, 'image/jpeg'), 400)).detail).toMatch(
        /threshold/,
      );
      expect((await problem(await post('/api/v1/recognize?store=maybe', jpeg, 'image/jpeg'), 400)).detail).toMatch(
        /store/,
      );
      expect((await problem(await post('/api/v1/recognize?colour=red', jpeg, 'image/jpeg'), 400)).detail).toMatch(
        /colour/,
      );
    });

    it('refuses a multipart upload without an image field', async () => {
      const form = new FormData();
      form.append('photo', new Blob([Buffer.from('x')], { type: 'image/png' }), 'a.png');
      expect((await problem(await post('/api/v1/recognize', form), 400)).detail).toMatch(/'image' field/);
    });

    it('answers 503 naming the worker when the recognizer reports it down', async () => {
      faults.recognize = new GlimpseError('WORKER_UNAVAILABLE', 'all face recognition workers failed');
      const jpeg = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#abc' } })
        .jpeg()
        .toBuffer();
      const body = await problem(await post('/api/v1/recognize', jpeg, 'image/jpeg'), 503);
      expect(body).toMatchObject({ code: 'WORKER_UNAVAILABLE', detail: expect.stringMatching(/worker/i) });
    });

    it('answers 504 when the recognizer is too slow', async () => {
      faults.recognizeDelayMs = 2500;
      const jpeg = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#abc' } })
        .jpeg()
        .toBuffer();
      const body = await problem(await post('/api/v1/recognize', jpeg, 'image/jpeg'), 504);
      expect(body).toMatchObject({ code: 'TIMEOUT', detail: expect.stringMatching(/recognizer/) });
      await Promise.all(faults.delayed); // let the stand-in finish before the next test
    });
  });

  it('POST /api/v1/encode answers boxes and 128-d encodings', async () => {
    const jpeg = await sharp({ create: { width: 50, height: 50, channels: 3, background: '#abc' } })
      .jpeg()
      .toBuffer();
    const res = await post('/api/v1/encode', jpeg, 'image/jpeg');
    expect(res.status).toBe(200);
    const { faces } = await res.json();
    expect(faces).toHaveLength(1);
    expect(faces[0].box).toEqual({ x: 0, y: 0, width: 10, height: 10 });
    expect(faces[0].encoding).toHaveLength(128);
  });

  describe('persons and faces', () => {
    it('lists persons with paging and cover crops', async () => {
      const res = await fetch(`${url}/api/v1/persons?page=2&pageSize=5`);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({ total: 1, page: 2, pageSize: 5 });
      expect(body.items[0]).toMatchObject({ id: PERSON, number: 7, coverUrl: `/api/v1/faces/${FACE}/crop` });
      expect(seen.personsList.at(-1)).toEqual({ page: 2, pageSize: 5 });
      await problem(await fetch(`${url}/api/v1/persons?pageSize=500`), 400);
    });

    it('shows one person with crop URLs, 404 for an unknown one, 400 for a bad id', async () => {
      const res = await fetch(`${url}/api/v1/persons/${PERSON}`);
      expect(res.status).toBe(200);
      expect((await res.json()).faces[0]).toMatchObject({ id: FACE, cropUrl: `/api/v1/faces/${FACE}/crop` });
      expect((await problem(await fetch(`${url}/api/v1/persons/${MISSING}`), 404)).code).toBe('NOT_FOUND');
      expect((await problem(await fetch(`${url}/api/v1/persons/not-a-uuid`), 400)).detail).toMatch(/id/);
    });

    it('deletes a person', async () => {
      const res = await fetch(`${url}/api/v1/persons/${PERSON}`, { method: 'DELETE' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: PERSON, deletedFaces: 2 });
      await problem(await fetch(`${url}/api/v1/persons/${MISSING}`, { method: 'DELETE' }), 404);
      await problem(await fetch(`${url}/api/v1/persons/nope`, { method: 'DELETE' }), 400);
    });

    it('serves face crops as cacheable JPEG', async () => {
      const res = await fetch(`${url}/api/v1/faces/${FACE}/crop`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^image\/jpeg/);
      expect(res.headers.get('cache-control')).toBe('private, max-age=3600');
      expect(
        Buffer.from(await res.arrayBuffer())
          .subarray(0, 2)
          .toString('hex'),
      ).toBe('ffd8');
      const missing = await fetch(`${url}/api/v1/faces/${MISSING}/crop`);
      await problem(missing, 404);
      expect(missing.headers.get('cache-control')).toBe('no-store');
      await problem(await fetch(`${url}/api/v1/faces/x/crop`), 400);
    });
  });

  describe('streams', () => {
    const json = (body: unknown) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

    it('starts a stream (201) and rejects unknown fields', async () => {
      const res = await fetch(`${url}/api/v1/streams`, json({ url: 'rtsp://cam.local/live', fps: 1 }));
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ url: 'rtsp://cam.local/live', fps: 1, state: 'starting' });
      expect(seen.streamStarts.at(-1)).toEqual({ url: 'rtsp://cam.local/live', fps: 1, loop: false });
      expect(
        (await problem(await fetch(`${url}/api/v1/streams`, json({ url: 'x', colour: 'red' })), 400)).detail,
      ).toMatch(/colour/);
      await problem(await fetch(`${url}/api/v1/streams`, json({ url: 'x', fps: 100 })), 400);
      await problem(
        await fetch(`${url}/api/v1/streams`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"url":',
        }),
        400,
      );
      await problem(
        await fetch(`${url}/api/v1/streams`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
        415,
      );
    });

    it('lists streams merged from every capture instance, newest first', async () => {
      const res = await fetch(`${url}/api/v1/streams`);
      expect(res.status).toBe(200);
      const { items } = await res.json();
      expect(items.map((s: Stream) => [s.id, s.instance])).toEqual([
        ['cam-b', 'capture-b'],
        ['cam-a', 'capture-a'],
      ]);
    });

    it('gets one stream, 404 when no instance has it', async () => {
      expect(await (await fetch(`${url}/api/v1/streams/cam-a`)).json()).toMatchObject({
        id: 'cam-a',
        instance: 'capture-a',
      });
      await problem(await fetch(`${url}/api/v1/streams/nope`), 404);
      await problem(await fetch(`${url}/api/v1/streams/bad%20id`), 400);
    });

    it('stops a stream at its owner, 404 when none answers', async () => {
      const res = await fetch(`${url}/api/v1/streams/cam-b`, { method: 'DELETE' });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: 'cam-b', state: 'stopped', instance: 'capture-b' });
      await problem(await fetch(`${url}/api/v1/streams/nope`, { method: 'DELETE' }), 404);
    });

    it('saves an uploaded video under a random name, starts it, and deletes it when the stream ends', async () => {
      const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypisom'), Buffer.alloc(5000, 3)]);
      const res = await post('/api/v1/streams/upload?fps=1', mp4, 'video/mp4');
      expect(res.status).toBe(201);
      const body = await res.json();
      expect(body.url).toBe('upload');
      const started = seen.streamStarts.at(-1) as { url: string; fps: number; loop: boolean };
      expect(started).toMatchObject({ fps: 1, loop: false });
      expect(started.url).toMatch(new RegExp(`^${uploadDir}/[0-9a-f-]{36}\\.mp4$`));
      expect(readFileSync(started.url)).toEqual(mp4);

      standIns.publish(
        StreamStatus.contract,
        [body.id],
        stream(body.id, 'capture-a', { url: started.url, state: 'ended', endedAt: NOW }),
      );
      await until('uploaded video deleted', () => !existsSync(started.url));
    });

    it('accepts a multipart video and refuses what is not one (415, nothing kept)', async () => {
      const webm = Buffer.concat([
        Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84]),
        Buffer.from('webm'),
        Buffer.alloc(200),
      ]);
      const form = new FormData();
      form.append('video', new Blob([webm], { type: 'video/webm' }), 'clip.webm');
      expect((await post('/api/v1/streams/upload', form)).status).toBe(201);
      expect((seen.streamStarts.at(-1) as { url: string }).url).toMatch(/\.webm$/);

      const before = readdirSync(uploadDir).length;
      await problem(
        await post(
          '/api/v1/streams/upload',
          Buffer.from('not a video at all, just some text that goes on and on and on....'),
          'video/mp4',
        ),
        415,
      );
      await problem(await post('/api/v1/streams/upload', Buffer.from('hello'), 'text/plain'), 415);
      const bad = new FormData();
      bad.append(
        'video',
        new Blob([Buffer.from('GIF89a.............................................................')]),
        'x.gif',
      );
      await problem(await post('/api/v1/streams/upload', bad), 415);
      await problem(await post('/api/v1/streams/upload?fps=99', webm, 'video/webm'), 400);
      expect(readdirSync(uploadDir).filter((f) => f.endsWith('.part'))).toEqual([]);
      expect(readdirSync(uploadDir).length).toBe(before);
    });
  });

  describe('GET /healthz', () => {
    it('is 200 when every part is up', async () => {
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.status).toBe('ok');
      for (const name of ['nats', 'recognizer', 'worker', 'matcher', 'database', 'capture'])
        expect(body.checks[name].ok).toBe(true);
    });

    it('is 503 and says which part is down', async () => {
      faults.worker = false;
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body.status).toBe('error');
      expect(body.checks.worker).toEqual({ ok: false, detail: 'connection refused' });
      expect(body.checks.recognizer.ok).toBe(false);
      expect(body.checks.matcher.ok).toBe(true);
    });
  });

  describe('WebSocket /ws', () => {
    const open = async () => {
      const ws = new WebSocket(wsWithKey(`${url.replace('http', 'ws')}/ws`, TEST_ADMIN_KEY));
      const messages: any[] = [];
      ws.on('message', (m) => messages.push(JSON.parse(String(m))));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      return { ws, messages };
    };
    const event = (source: string, seq: number) => ({
      frame: { source, seq, capturedAt: NOW, width: 640, height: 480 },
      faces: [
        {
          faceId: FACE,
          box: { x: 1, y: 2, width: 3, height: 4 },
          personId: PERSON,
          personNumber: 7,
          personName: null,
          isNew: true,
          distance: null,
          similarity: null,
        },
      ],
    });

    it('delivers recognition events for the subscribed stream only', async () => {
      const { ws, messages } = await open();
      ws.send(JSON.stringify({ type: 'subscribe', streamId: 'cam-1' }));
      await until('subscribed', () => messages.find((m) => m.type === 'subscribed'));
      standIns.publish(RecognitionEvent.contract, ['cam-2'], event('cam-2', 1));
      standIns.publish(RecognitionEvent.contract, ['cam-1'], event('cam-1', 2));
      standIns.publish(StreamStatus.contract, ['cam-1'], stream('cam-1', 'capture-a'));
      const got = await until('recognition', () => messages.find((m) => m.type === 'recognition'));
      expect(got).toMatchObject({ type: 'recognition', streamId: 'cam-1', frame: { seq: 2 } });
      expect(got.faces[0]).toMatchObject({ faceId: FACE, cropUrl: `/api/v1/faces/${FACE}/crop` });
      expect(await until('stream status', () => messages.find((m) => m.type === 'stream'))).toMatchObject({
        stream: { id: 'cam-1' },
      });
      // events reach the gateway in the order they were published: cam-2's would have come before cam-1's
      expect(messages.filter((m) => m.type === 'recognition').map((m) => m.streamId)).toEqual(['cam-1']);

      ws.send(JSON.stringify({ type: 'unsubscribe', streamId: 'cam-1' }));
      await until('unsubscribed', () => messages.find((m) => m.type === 'unsubscribed'));
      // an event for a stream still subscribed to, published after cam-1's, shows when cam-1's would have come
      ws.send(JSON.stringify({ type: 'subscribe', streamId: 'cam-9' }));
      await until('subscribed to cam-9', () => messages.find((m) => m.type === 'subscribed' && m.streamId === 'cam-9'));
      standIns.publish(RecognitionEvent.contract, ['cam-1'], event('cam-1', 3));
      standIns.publish(RecognitionEvent.contract, ['cam-9'], event('cam-9', 4));
      await until('the cam-9 event', () => messages.find((m) => m.type === 'recognition' && m.streamId === 'cam-9'));
      expect(messages.filter((m) => m.type === 'recognition').map((m) => m.streamId)).toEqual(['cam-1', 'cam-9']);
      ws.close();
    });

    it('answers invalid messages with an error and keeps the connection', async () => {
      const { ws, messages } = await open();
      ws.send('not json');
      ws.send(JSON.stringify({ type: 'subscribe', streamId: '../../etc' }));
      await until('two errors', () => messages.filter((m) => m.type === 'error').length === 2);
      ws.send(JSON.stringify({ type: 'ping' }));
      await until('pong', () => messages.find((m) => m.type === 'pong'));
      expect(ws.readyState).toBe(WebSocket.OPEN);
      ws.close();
    });
  });

  it('serves the web page', async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<title>Glimpse<\/title>/);
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline scripts
    // the built web client (apps/web/dist): its script loads
    const script = /<script[^>]*\ssrc="([^"]+)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(new URL(script!, `${url}/`));
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    await problem(await fetch(`${url}/nope`), 404);
  });

  // Last: it takes the stand-ins away.
  it('answers 503 problem+json naming the missing service when nobody responds', async () => {
    for (const s of subs) s.unsubscribe();
    await standIns.nc.flush();
    const jpeg = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#abc' } })
      .jpeg()
      .toBuffer();
    const body = await problem(await post('/api/v1/recognize', jpeg, 'image/jpeg'), 503);
    expect(body).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      detail: expect.stringMatching(/recognizer service is not running/),
    });
    expect((await problem(await fetch(`${url}/api/v1/persons`), 503)).detail).toMatch(/matcher/);
    expect((await fetch(`${url}/api/v1/streams`)).status).toBe(200); // gather: nobody answered, nothing to list
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    const checks = (await health.json()).checks;
    expect(checks.nats.ok).toBe(true);
    expect(checks.recognizer).toMatchObject({ ok: false, detail: expect.stringMatching(/not running/) });
  });
});
