/**
 * The walking skeleton, end to end: gateway → recognizer → matcher over real NATS, the real Python
 * face_recognition worker and real pgvector (PGlite, then a real PostgreSQL: test/support/postgres.ts),
 * started exactly as `npm start` starts them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '@glimpse/platform';
import { FrameRecognize, RecognitionEvent, type RecognizedFace } from '@glimpse/contracts';
import { fixturePhotos, photosByPerson } from '../support/worker';
import { blank, collage, slideshow } from '../support/media';
import WebSocket from 'ws';
import { freePort, until } from '@glimpse/testing';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require('../../infra/scripts/stack.js');
import { authed, wsWithKey } from '../support/auth';
import { describeEachBackend, startPostgres, type TestPostgres, skipEachBackend } from '../support/postgres';

interface Face {
  faceId: string | null;
  box: { x: number; y: number; width: number; height: number };
  personId: string | null;
  personNumber: number | null;
  isNew: boolean;
  distance: number | null;
  similarity: number | null;
  cropUrl: string | null;
}

const photos = fixturePhotos();
const byPerson = photosByPerson(photos);
const known = [...byPerson].filter(([, ps]) => ps.length > 1);
const strangers = [...byPerson].filter(([, ps]) => ps.length === 1).map(([id, ps]) => ({ id, path: ps[0] }));
// dlib at the 0.6 threshold confuses four of the twenty strangers with someone in this set (measured:
// donna_ralston/ana_palacio 0.593, andy_north/gregg_popovich 0.597, jessica_simpson/heidi_klum 0.596,
// charles_cope/bernard_landry 0.519). Those look-alikes are not enrolled here, so this test checks the
// pipeline; the accuracy benchmark reports the model's false-accept rate on the whole set.
const LOOK_ALIKES = new Set(['ana_palacio', 'gregg_popovich', 'heidi_klum', 'bernard_landry']);
const enrolled = known.filter(([id]) => !LOOK_ALIKES.has(id)).slice(0, 5);
const describeIf = photos.length ? describeEachBackend : skipEachBackend;
if (!photos.length) console.warn('\n*** SKIPPING the full-stack tests: no fixture faces (set GLIMPSE_FIXTURES) ***\n');

// the HTTP API's faces and the bus's RecognizedFace (no cropUrl) alike
const largest = <F extends Pick<Face, 'box'>>(faces: F[]) =>
  [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];

describeIf('Glimpse stack (real NATS, worker, pgvector)', (backend) => {
  let stack: any;
  let pg: TestPostgres | undefined;
  const fetch = authed(() => stack?.apiKey);
  let bus: Bus;
  const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-stack-'));
  const videoDir = mkdtempSync(join(tmpdir(), 'glimpse-stack-videos-'));
  const log: string[] = [];
  const personOf = new Map<string, string>();

  const recognize = async (body: Buffer, query = '', type = 'image/jpeg') =>
    fetch(`${stack.url}/api/v1/recognize${query}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: new Uint8Array(body),
    });
  const recognizeOk = async (path: string, query = ''): Promise<Face[]> => {
    const res = await recognize(readFileSync(path), query);
    expect(res.status).toBe(200);
    return ((await res.json()) as { faces: Face[] }).faces;
  };
  const healthy = async () => (await fetch(`${stack.url}/healthz`)).status;

  beforeAll(async () => {
    if (backend === 'postgres') pg = await startPostgres();
    // A private NATS server: the contracts' subjects are fixed, so any other Glimpse on the shared
    // server would otherwise take part of this test's work from the same queue groups.
    stack = await startStack({
      natsUrl: `nats://127.0.0.1:${await freePort()}`,
      port: 0,
      dataDir,
      recognizers: 2,
      // capture streams files only from its STREAM_FILE_ROOTS: the uploads (stack.js's default) and this test's videos
      // MATCH_RULE=nearest: these checks pin the seed's rule (every repeat within 0.6); decisions.test.ts covers the default
      env: {
        STREAM_FILE_ROOTS: `${join(dataDir, 'uploads')},${videoDir}`,
        MATCH_RULE: 'nearest',
        ...(pg ? { DATABASE_URL: pg.url } : {}),
      },
      logSink: { write: (s: string) => log.push(s) },
    });
    bus = await Bus.connect({ servers: stack.natsUrl, name: 'stack-test' });
  }, 180_000);

  afterAll(async () => {
    await bus?.close();
    await stack?.stop();
    await pg?.stop();
    if (process.env.GLIMPSE_TEST_LOG) writeFileSync(process.env.GLIMPSE_TEST_LOG, log.join(''));
  });

  it('reports every dependency healthy', async () => {
    const res = await fetch(`${stack.url}/healthz`);
    const body = await res.json();
    expect(res.status).toBe(200);
    for (const name of ['nats', 'recognizer', 'matcher', 'capture']) expect(body.checks[name].ok).toBe(true);
    // Which database, never its credentials.
    expect(body.checks.database.detail).toBe(pg ? `postgres:${pg.where}` : `pglite:${join(dataDir, 'pglite')}`);
  });

  it('makes a new person of each first photo, then recognizes their other photos', async () => {
    for (const [id, [first]] of enrolled) {
      const faces = await recognizeOk(first);
      const face = largest(faces);
      expect(face.isNew).toBe(true);
      expect(face.similarity).toBeNull();
      expect(face.personId).toMatch(/^[0-9a-f-]{36}$/);
      personOf.set(id, face.personId!);
    }
    expect(new Set(personOf.values()).size).toBe(enrolled.length);

    let checked = 0;
    for (const [id, [, ...others]] of enrolled) {
      for (const path of others) {
        const faces = await recognizeOk(path);
        if (!faces.length) continue; // HOG misses a few LFW faces; the accuracy benchmark counts them
        const face = largest(faces);
        expect({ path, personId: face.personId }).toEqual({ path, personId: personOf.get(id) });
        expect(face.isNew).toBe(false);
        expect(face.distance!).toBeLessThan(0.6);
        expect(face.similarity!).toBeGreaterThanOrEqual(50);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it('makes every stranger a new person', async () => {
    const seen = new Set(personOf.values());
    let found = 0;
    for (const s of strangers) {
      const faces = await recognizeOk(s.path);
      if (!faces.length) continue;
      const face = largest(faces);
      expect({ stranger: s.id, isNew: face.isNew }).toEqual({ stranger: s.id, isNew: true });
      expect(seen.has(face.personId!)).toBe(false);
      seen.add(face.personId!);
      found++;
    }
    expect(strangers.length).toBe(20);
    expect(found).toBeGreaterThanOrEqual(19);
  });

  it('finds 4 faces in a collage of 4 people and none in a blank image', async () => {
    const four = enrolled.slice(0, 4).map(([, ps]) => ps[1]);
    const res = await recognize(await collage(four), '?store=false');
    expect(res.status).toBe(200);
    const { faces } = (await res.json()) as { faces: Face[] };
    expect(faces).toHaveLength(4);
    expect(new Set(faces.map((f) => f.personId)).size).toBe(4);

    const none = await recognize(await blank(), '');
    expect(none.status).toBe(200);
    expect((await none.json()).faces).toEqual([]);
  });

  it('matches without storing when store=false', async () => {
    const before = (await (await fetch(`${stack.url}/api/v1/persons?pageSize=1`)).json()).total;
    const [, ps] = enrolled[0];
    const faces = await recognizeOk(ps[ps.length - 1], '?store=false');
    expect(largest(faces).faceId).toBeNull();
    expect(largest(faces).cropUrl).toBeNull();
    // Someone never shown before (not enrolled, not in the video test) stays unknown and unstored.
    const [, unseen] = known.filter(([id]) => !enrolled.some(([e]) => e === id) && !LOOK_ALIKES.has(id))[2];
    const stranger = largest(await recognizeOk(unseen[0], '?store=false'));
    expect(stranger).toMatchObject({ personId: null, faceId: null, isNew: true, cropUrl: null });
    const after = (await (await fetch(`${stack.url}/api/v1/persons?pageSize=1`)).json()).total;
    expect(after).toBe(before);
  });

  it('lists persons, shows one with its faces and crops, and deletes one with everything', async () => {
    const list = await (await fetch(`${stack.url}/api/v1/persons?page=1&pageSize=3`)).json();
    expect(list.items).toHaveLength(3);
    expect(list.total).toBeGreaterThanOrEqual(enrolled.length + 19);

    const id = personOf.get(enrolled[0][0])!;
    const person = await (await fetch(`${stack.url}/api/v1/persons/${id}`)).json();
    expect(person.faces.length).toBeGreaterThanOrEqual(2);
    const crop = await fetch(`${stack.url}${person.faces[0].cropUrl}`);
    expect(crop.status).toBe(200);
    expect(crop.headers.get('content-type')).toMatch(/image\/jpeg/);
    const bytes = Buffer.from(await crop.arrayBuffer());
    expect(bytes.subarray(0, 2).toString('hex')).toBe('ffd8');

    const victim = await recognizeOk(strangers[1].path); // a fresh face, then delete its person
    const del = await fetch(`${stack.url}/api/v1/persons/${largest(victim).personId}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await fetch(`${stack.url}/api/v1/persons/${largest(victim).personId}`)).status).toBe(404);
    expect((await fetch(`${stack.url}${largest(victim).cropUrl}`)).status).toBe(404);
  });

  it('shares frames between two recognizer instances', async () => {
    const jpeg = readFileSync(enrolled[1][1][0]);
    const seen = new Set<string>();
    for (let seq = 0; seq < 12; seq++) {
      const reply = await bus.requestBinary(
        FrameRecognize.contract,
        jpeg,
        {
          'Glimpse-Source': 'upload',
          'Glimpse-Seq': String(seq),
          'Glimpse-Captured-At': new Date().toISOString(),
          'Glimpse-Store': 'false',
          'Content-Type': 'image/jpeg',
        },
        30_000,
      );
      seen.add(reply.processedBy);
    }
    expect([...seen].sort()).toEqual(['recognizer-1', 'recognizer-2']);
  });

  it('recognizes A, then B, then A again in a video stream', async () => {
    const [a, b] = known.filter(([id]) => !enrolled.some(([e]) => e === id) && !LOOK_ALIKES.has(id)).slice(0, 2);
    const video = slideshow([a[1][0], b[1][0], a[1][1]], 3, join(videoDir, 'slides.mp4'));
    const events: Array<{ seq: number; faces: RecognizedFace[] }> = [];
    const sub = bus.subscribe(
      RecognitionEvent.contract,
      (p) => void events.push({ seq: p.frame.seq, faces: p.faces }),
      {
        subject: 'glimpse.recognition.*',
      },
    );
    const ws = new WebSocket(wsWithKey(`${stack.url.replace('http', 'ws')}/ws`, stack.apiKey));
    const wsMessages: any[] = [];
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    ws.on('message', (m) => wsMessages.push(JSON.parse(String(m))));

    const res = await fetch(`${stack.url}/api/v1/streams`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: video, fps: 2 }),
    });
    expect(res.status).toBe(201);
    const stream = await res.json();
    ws.send(JSON.stringify({ type: 'subscribe', streamId: stream.id }));

    const state = await until(
      'the stream to finish',
      async () => {
        const s = (await (await fetch(`${stack.url}/api/v1/streams/${stream.id}`)).json()).state;
        return (s === 'ended' || s === 'failed') && s;
      },
      { timeoutMs: 60_000, everyMs: 500 },
    );
    // no event marks the last frame's recognition event reaching this subscriber and the socket
    await new Promise((r) => setTimeout(r, 1500));
    sub.unsubscribe();
    ws.close();
    expect(state).toBe('ended');

    const mine = events.filter((e) => e.faces.length).sort((x, y) => x.seq - y.seq);
    const order: Array<{ personId: string; isNew: boolean }> = [];
    for (const e of mine) {
      const f = largest(e.faces);
      if (order[order.length - 1]?.personId !== f.personId) order.push({ personId: f.personId!, isNew: f.isNew });
    }
    expect(order).toHaveLength(3);
    expect(order[0].isNew).toBe(true);
    expect(order[1].isNew).toBe(true);
    expect(order[2]).toEqual({ personId: order[0].personId, isNew: false });
    expect(wsMessages.filter((m) => m.type === 'recognition' && m.streamId === stream.id).length).toBeGreaterThan(0);
  });

  it('refuses bad input with a clear 4xx and stays healthy', async () => {
    const good = readFileSync(enrolled[0][1][0]);
    const cases: Array<[string, Buffer, string, number[]]> = [
      ['corrupt jpeg', Buffer.concat([good.subarray(0, 200), Buffer.alloc(500, 7)]), 'image/jpeg', [400]],
      ['text file', Buffer.from('hello, I am not an image\n'), 'text/plain', [400, 415]],
      ['empty body', Buffer.alloc(0), 'image/jpeg', [400]],
      ['30 MB body', Buffer.alloc(30 * 1024 * 1024, 1), 'image/jpeg', [413]],
    ];
    const sharp = (await import('sharp')).default;
    const bomb = await sharp({ create: { width: 10000, height: 10000, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    cases.push(['10000x10000 png', bomb, 'image/png', [413]]);
    for (const [name, body, type, statuses] of cases) {
      const res = await recognize(body, '', type);
      expect({ name, status: statuses.includes(res.status) ? 'expected' : res.status }).toEqual({
        name,
        status: 'expected',
      });
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const problem = await res.json();
      expect(typeof problem.detail).toBe('string');
      expect(problem.detail).not.toMatch(/\bat \S+\.(js|ts):\d+/);
    }
    expect(await healthy()).toBe(200);
  });

  it('answers 503 while the Python worker is down and recovers when it is back', async () => {
    const photo = readFileSync(enrolled[0][1][0]);
    await stack.stopOne('worker', 'SIGKILL');
    const down = await recognize(photo, '?store=false');
    expect(down.status).toBe(503);
    expect((await down.json()).detail).toMatch(/worker/i);
    expect(await healthy()).toBe(503);

    await stack.restart('worker');
    await until(
      'a recognition after the worker is back',
      async () => (await recognize(photo, '?store=false')).status === 200,
      {
        timeoutMs: 30_000,
        everyMs: 500,
      },
    );
  });

  it('still knows everyone after the matcher restarts (persistence)', async () => {
    await stack.restart('matcher');
    await until('a healthy stack after the matcher restart', async () => (await healthy()) === 200, {
      timeoutMs: 30_000,
      everyMs: 300,
    });
    for (const [id, ps] of enrolled) {
      const faces = await recognizeOk(ps[ps.length - 1], '?store=false');
      if (!faces.length) continue;
      expect(largest(faces).personId).toBe(personOf.get(id));
    }
  });
});
