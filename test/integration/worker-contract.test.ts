/**
 * The Python worker's reply, as it really comes over HTTP, against the zod schema the recognizer parses it
 * with (`workerEncodeReplySchema` in libs/contracts). The worker builds the reply from its own typed models
 * (services/recognizer/worker/app/models.py); this test is what keeps the two sides of that boundary the
 * same shape. The worker runs two engine processes, so the request and reply models also cross a process
 * boundary (pickled) the way they do in production.
 */
import { readFileSync } from 'node:fs';
import { workerEncodeReplySchema, z, type WorkerEncodeReply } from '@glimpse/contracts';
import { fixturePhotos, startWorker, type RunningWorker } from '../support/worker';

jest.setTimeout(180_000);

const photos = fixturePhotos().slice(0, 3);
const describeIf = photos.length ? describe : describe.skip;
if (!photos.length)
  console.warn('\n*** SKIPPING the worker contract test: no fixture faces (set GLIMPSE_FIXTURES) ***\n');

describeIf('Python worker reply vs the contracts schema (real worker, fixture photos)', () => {
  let worker: RunningWorker;

  beforeAll(async () => {
    // tracks stay reusable for a minute, so that a slow machine still sees the second request reuse them
    const env = {
      GLIMPSE_WORKER_PROCESSES: '2',
      GLIMPSE_WORKER_TRACK_MAX_AGE_S: '60',
      GLIMPSE_WORKER_LOG_LEVEL: 'warning',
    };
    worker = await startWorker({ env });
  });
  afterAll(() => worker?.stop());

  async function encode(image: Buffer, query: string): Promise<{ raw: unknown; reply: WorkerEncodeReply }> {
    const res = await fetch(`${worker.url}/v1/encode?${query}`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/jpeg' },
      body: new Uint8Array(image),
      signal: AbortSignal.timeout(60_000),
    });
    expect(res.status).toBe(200);
    const raw: unknown = await res.json();
    const parsed = workerEncodeReplySchema.safeParse(raw);
    if (!parsed.success) throw new Error(`worker reply does not match the schema:\n${z.prettifyError(parsed.error)}`);
    // the schema drops fields it does not know: equal means the worker sent none
    expect(parsed.data).toEqual(raw);
    return { raw, reply: parsed.data };
  }

  it('answers with crops and their boxes, quality and timings, every field known to the schema', async () => {
    for (const photo of photos) {
      const { reply } = await encode(readFileSync(photo.path), 'crops=true');
      expect(reply.faces.length).toBeGreaterThanOrEqual(1);
      for (const face of reply.faces) {
        expect(face.crop).toBeDefined();
        expect(face.cropBox).toBeDefined();
        expect(face.quality?.faceWidth).toBe(face.box.width);
        expect(face.track).toBeUndefined();
      }
      expect(Object.keys(reply.timings).sort()).toEqual([
        'decodeMs',
        'detectMs',
        'encodeMs',
        'queueMs',
        'trackedFaces',
      ]);
    }
  });

  it('leaves out what was not asked for (no crops: no crop fields, no nulls)', async () => {
    const { raw } = await encode(readFileSync(photos[0].path), 'crops=false');
    const faces = (raw as { faces: Array<Record<string, unknown>> }).faces;
    expect(faces.length).toBeGreaterThanOrEqual(1);
    for (const face of faces) {
      expect(Object.keys(face).sort()).toEqual(['box', 'encoding', 'quality']);
      expect(Object.values(face)).not.toContain(null);
    }
  });

  it('names tracks, and marks a face whose encoding it reused from its track', async () => {
    const image = readFileSync(photos[0].path);
    const stream = `contract-${process.pid}`;
    const first = await encode(image, `crops=false&track=${stream}`);
    const second = await encode(image, `crops=false&track=${stream}`);
    expect(first.reply.faces[0].track).toMatch(/^[0-9a-f]{16}$/);
    expect(first.reply.faces[0].tracked).toBeUndefined();
    expect(second.reply.faces[0]).toMatchObject({ track: first.reply.faces[0].track, tracked: true });
    expect(second.reply.faces[0].encoding).toEqual(first.reply.faces[0].encoding);
    expect(second.reply.timings.trackedFaces).toBe(second.reply.faces.length);
  });
});
