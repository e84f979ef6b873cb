import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { GlimpseError } from '@glimpse/platform';
import { WorkerRepository, describeWorker, type EncodeOptions } from './worker.repository';

interface FakeWorker {
  url: string;
  hits: string[];
  bodies: Buffer[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: FakeWorker[] = [];

async function fakeWorker(handler: Handler): Promise<FakeWorker> {
  const hits: string[] = [];
  const bodies: Buffer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push(`${req.method} ${req.url}`);
      bodies.push(Buffer.concat(chunks));
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(fake);
  return fake;
}

/** A URL nobody listens on: connection refused. */
async function deadUrl(): Promise<string> {
  const w = await fakeWorker(() => undefined);
  await w.close();
  return w.url;
}

const json =
  (status: number, body: unknown): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };

const goodReply = {
  width: 250,
  height: 250,
  faces: [
    {
      box: { x: 76, y: 86, width: 89, height: 90 },
      encoding: Array(128).fill(0.01),
      crop: 'aGVsbG8=',
      quality: { faceWidth: 89, sharpness: 52.25 },
    },
  ],
  timings: { decodeMs: 1, detectMs: 20, encodeMs: 70 },
};
const ok = json(200, goodReply);
const hang: Handler = () => undefined;
const opts: EncodeOptions = { detector: 'hog', upsample: 1, jitters: 1, crops: true };
const image = new Uint8Array([1, 2, 3, 4]);

beforeAll(() => Logger.overrideLogger(false));
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function rejection(p: Promise<unknown>): Promise<GlimpseError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GlimpseError);
  return err as GlimpseError;
}

describe('WorkerRepository.encode', () => {
  it('posts the bytes with the options as query and validates the reply', async () => {
    const w = await fakeWorker(ok);
    const repo = new WorkerRepository({ urls: [w.url], timeoutMs: 1000 });
    const reply = await repo.encode(image, 'image/png', { detector: 'hog', upsample: 2, jitters: 3, crops: false });
    expect(reply).toEqual(goodReply);
    expect(w.hits).toEqual(['POST /v1/encode?detector=hog&upsample=2&jitters=3&crops=false']);
    expect([...w.bodies[0]]).toEqual([1, 2, 3, 4]);
  });

  it('accepts a face without quality (an older worker)', async () => {
    const { quality: _, ...face } = goodReply.faces[0];
    const w = await fakeWorker(json(200, { ...goodReply, faces: [face] }));
    const reply = await new WorkerRepository({ urls: [w.url], timeoutMs: 1000 }).encode(image, 'image/jpeg', opts);
    expect(reply.faces).toEqual([face]);
  });

  it('sends only the bytes of a view into a larger buffer', async () => {
    const w = await fakeWorker(ok);
    const view = new Uint8Array([9, 9, 1, 2, 3, 9]).subarray(2, 5);
    await new WorkerRepository({ urls: [w.url], timeoutMs: 1000 }).encode(view, 'image/jpeg', opts);
    expect([...w.bodies[0]]).toEqual([1, 2, 3]);
  });

  it.each([
    ['connection refused', null],
    ['HTTP 500', json(500, { code: 'INTERNAL', message: 'boom' })],
    ['HTTP 503 without JSON', ((_q, r) => r.writeHead(503).end('busy')) as Handler],
    ['a hang past the timeout', hang],
    [
      'a reply with a 127-d encoding',
      json(200, { ...goodReply, faces: [{ ...goodReply.faces[0], encoding: Array(127).fill(0) }] }),
    ],
    ['a reply that is not JSON', ((_q, r) => r.writeHead(200).end('<html>')) as Handler],
    [
      'a reply without the crops asked for',
      json(200, { ...goodReply, faces: [{ ...goodReply.faces[0], crop: undefined }] }),
    ],
    [
      'a negative sharpness',
      json(200, { ...goodReply, faces: [{ ...goodReply.faces[0], quality: { faceWidth: 89, sharpness: -1 } }] }),
    ],
    [
      'a fractional faceWidth',
      json(200, { ...goodReply, faces: [{ ...goodReply.faces[0], quality: { faceWidth: 89.5, sharpness: 3 } }] }),
    ],
    [
      'a quality with unknown fields',
      json(200, { ...goodReply, faces: [{ ...goodReply.faces[0], quality: { faceWidth: 89, sharpness: 3, x: 1 } }] }),
    ],
  ])('fails over to the next URL after %s', async (_what, handler) => {
    const first = handler ? (await fakeWorker(handler)).url : await deadUrl();
    const second = await fakeWorker(ok);
    const repo = new WorkerRepository({ urls: [first, second.url], timeoutMs: 300 });
    await expect(repo.encode(image, 'image/jpeg', opts)).resolves.toEqual(goodReply);
    expect(second.hits).toHaveLength(1);
  });

  it.each([
    [400, 'INVALID_IMAGE', 'could not decode image: cannot identify image file'],
    [413, 'IMAGE_TOO_LARGE', 'image is 10000x10000 = 100000000 pixels, over the limit of 40000000'],
    [415, 'UNSUPPORTED_MEDIA_TYPE', 'expected image bytes'],
  ] as const)('passes a worker %i %s on with its message and does not retry', async (status, code, message) => {
    const first = await fakeWorker(json(status, { code, message }));
    const second = await fakeWorker(ok);
    const repo = new WorkerRepository({ urls: [first.url, second.url], timeoutMs: 1000 });
    const err = await rejection(repo.encode(image, 'image/jpeg', opts));
    expect(err.code).toBe(code);
    expect(err.message).toBe(message);
    expect(second.hits).toEqual([]);
  });

  it('maps a bare 413 (say, from a proxy) to IMAGE_TOO_LARGE', async () => {
    const w = await fakeWorker((_q, r) => r.writeHead(413).end('Request Entity Too Large'));
    const err = await rejection(
      new WorkerRepository({ urls: [w.url], timeoutMs: 1000 }).encode(image, 'image/jpeg', opts),
    );
    expect(err.code).toBe('IMAGE_TOO_LARGE');
  });

  it('treats a worker INVALID_REQUEST as our own bug (INTERNAL), not the caller’s', async () => {
    const w = await fakeWorker(json(400, { code: 'INVALID_REQUEST', message: 'invalid request: upsample: too big' }));
    const err = await rejection(
      new WorkerRepository({ urls: [w.url], timeoutMs: 1000 }).encode(image, 'image/jpeg', opts),
    );
    expect(err.code).toBe('INTERNAL');
    expect(err.message).toContain('upsample: too big');
  });

  it('gives up with WORKER_UNAVAILABLE naming every URL and reason, without hanging', async () => {
    const dead = await deadUrl();
    const slow = await fakeWorker(hang);
    const broken = await fakeWorker(json(502, { code: 'INTERNAL', message: 'bad gateway' }));
    const repo = new WorkerRepository({ urls: [dead, slow.url, broken.url], timeoutMs: 200 });
    const started = Date.now();
    const err = await rejection(repo.encode(image, 'image/jpeg', opts));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(err.code).toBe('WORKER_UNAVAILABLE');
    expect(err.message).toMatch(/^face recognition worker unavailable at /);
    expect(err.message).toContain(`${dead}: connect ECONNREFUSED`);
    expect(err.message).toContain(`${slow.url}: no answer within 200 ms`);
    expect(err.message).toContain(`${broken.url}: HTTP 502: bad gateway`);
  });

  it('tries healthy URLs first, and a ping brings a recovered one back', async () => {
    let up = false;
    const flaky = await fakeWorker((req, res) =>
      up ? ok(req, res) : json(500, { code: 'INTERNAL', message: 'x' })(req, res),
    );
    const steady = await fakeWorker(ok);
    const repo = new WorkerRepository({ urls: [flaky.url, steady.url], timeoutMs: 1000 });

    await repo.encode(image, 'image/jpeg', opts); // flaky fails, steady answers
    flaky.hits.length = 0;
    for (let i = 0; i < 4; i++) await repo.encode(image, 'image/jpeg', opts);
    expect(flaky.hits).toEqual([]); // unhealthy: not tried while another answers

    up = true;
    const health = await repo.ping();
    expect(health.map((h) => h.ok)).toEqual([true, true]);
    for (let i = 0; i < 4; i++) await repo.encode(image, 'image/jpeg', opts);
    expect(flaky.hits.filter((h) => h.startsWith('POST'))).toHaveLength(2); // back in the rotation
  });

  it('shares calls among healthy workers', async () => {
    const a = await fakeWorker(ok);
    const b = await fakeWorker(ok);
    const repo = new WorkerRepository({ urls: [a.url, b.url], timeoutMs: 1000 });
    for (let i = 0; i < 6; i++) await repo.encode(image, 'image/jpeg', opts);
    expect([a.hits.length, b.hits.length]).toEqual([3, 3]);
  });

  it('still tries an unhealthy worker when it is the only one left', async () => {
    let up = false;
    const w = await fakeWorker((req, res) => (up ? ok(req, res) : res.writeHead(500).end()));
    const repo = new WorkerRepository({ urls: [w.url], timeoutMs: 1000 });
    expect((await rejection(repo.encode(image, 'image/jpeg', opts))).code).toBe('WORKER_UNAVAILABLE');
    up = true;
    await expect(repo.encode(image, 'image/jpeg', opts)).resolves.toEqual(goodReply);
  });
});

describe('WorkerRepository.ping', () => {
  it('reports each URL', async () => {
    const w = await fakeWorker(
      json(200, { status: 'ok', model: 'dlib_face_recognition_resnet_model_v1', cuda: false }),
    );
    const dead = await deadUrl();
    const repo = new WorkerRepository({ urls: [w.url, dead], timeoutMs: 1000 });
    expect(await repo.ping()).toEqual([
      { url: w.url, ok: true, detail: 'dlib_face_recognition_resnet_model_v1' },
      { url: dead, ok: false, detail: expect.stringContaining('ECONNREFUSED') },
    ]);
    expect(w.hits).toEqual(['GET /ping']);
  });

  it('says when the worker runs a dlib without BLAS, and when it has CUDA', async () => {
    const slow = await fakeWorker(json(200, { status: 'ok', model: 'm', cuda: false, blas: false }));
    const gpu = await fakeWorker(json(200, { status: 'ok', model: 'm', cuda: true, blas: true }));
    const repo = new WorkerRepository({ urls: [slow.url, gpu.url], timeoutMs: 1000 });
    expect((await repo.ping()).map((h) => h.detail)).toEqual(['m, dlib without BLAS (~4x slower encoding)', 'm, CUDA']);
  });

  it('names the dlib build and the progress of the OpenBLAS compile', () => {
    expect(
      describeWorker({ model: 'm', blas: false, dlib: 'bin', dlibBuild: { state: 'building', percent: 42 } }),
    ).toBe('m, dlib: bin (~4x slower encoding), OpenBLAS build 42%');
    expect(
      describeWorker({ model: 'm', blas: false, dlib: 'bin', dlibBuild: { state: 'failed', detail: 'no BLAS' } }),
    ).toBe('m, dlib: bin (~4x slower encoding), OpenBLAS build failed: no BLAS');
    expect(describeWorker({ model: 'm', blas: false, dlib: 'bin', dlibBuild: { state: 'switching' } })).toBe(
      'm, dlib: bin (~4x slower encoding), switching to OpenBLAS',
    );
    expect(describeWorker({ model: 'm', blas: true, dlib: 'openblas' })).toBe('m, dlib: openblas');
  });

  it('re-pings unhealthy workers in the background, leaving healthy ones alone', async () => {
    let up = false;
    const pong = json(200, { status: 'ok', model: 'm' });
    const flaky = await fakeWorker((req, res) => (!up ? json(500, {}) : req.url === '/ping' ? pong : ok)(req, res));
    const steady = await fakeWorker((req, res) => (req.url === '/ping' ? pong : ok)(req, res));
    const repo = new WorkerRepository({ urls: [flaky.url, steady.url], timeoutMs: 1000, pingIntervalMs: 50 });
    expect((await repo.ping()).map((h) => h.ok)).toEqual([false, true]);
    up = true;
    repo.onModuleInit();
    try {
      await new Promise((r) => setTimeout(r, 200)); // clock time: a few rounds of the 50 ms background ping
    } finally {
      repo.onModuleDestroy();
    }
    expect(flaky.hits.length).toBeGreaterThanOrEqual(2);
    expect(steady.hits).toEqual(['GET /ping']);
    steady.hits.length = 0;
    flaky.hits.length = 0;
    await repo.encode(image, 'image/jpeg', opts);
    await repo.encode(image, 'image/jpeg', opts);
    expect([flaky.hits.length, steady.hits.length]).toEqual([1, 1]);
  });
});
