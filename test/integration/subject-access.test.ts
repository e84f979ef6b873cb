/**
 * Subject access (docs/privacy.md) on the real stack (gateway → recognizer → matcher, real worker, PGlite,
 * JetStream): `GET /api/v1/persons/:id/export` holds every face the database has for the person, each crop
 * opened, their sightings and events; after `DELETE /api/v1/persons/:id` nothing of them remains (API,
 * database, crop store, GLIMPSE_EVENTS).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from 'nats';
import { Events } from '@glimpse/contracts';
import { freePort, until } from '@glimpse/testing';
import { openDatabase } from '../../services/matcher/src/database/open-database';
import { authed } from '../support/auth';
import { describeEachBackend, startPostgres, type TestPostgres, skipEachBackend } from '../support/postgres';
import { fixturePhotos, photosByPerson } from '../support/worker';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require('../../infra/scripts/stack.js');

const photos = fixturePhotos();
const byPerson = photosByPerson(photos);
const threeOfOne = [...byPerson.values()].find((ps) => ps.length >= 3)?.slice(0, 3) ?? [];
if (!threeOfOne.length)
  console.warn('\n*** SKIPPING subject access tests: no fixture faces (set GLIMPSE_FIXTURES) ***\n');
const describeIf = threeOfOne.length ? describeEachBackend : skipEachBackend;

jest.setTimeout(240_000);

interface ExportDoc {
  format: string;
  person: { id: string; number: number; name: string | null; faceCount: number };
  faces: Array<{ id: string; box: { width: number }; source: string; capturedAt: string; crop: string | null }>;
  sightings: Array<{ id: string; personId: string }>;
  events: Array<{ subject: string; data: { personId?: string } }>;
}

describeIf('subject access export, then erasure (real stack)', (backend) => {
  let pg: TestPostgres | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-export-'));
  let stack: any;
  const log: string[] = [];
  let nc: NatsConnection;
  const fetch = authed(() => stack?.apiKey);
  const api = (path: string, init?: RequestInit) => fetch(`${stack.url}${path}`, init);
  const form = (paths: string[], fields: Record<string, string> = {}) => {
    const f = new FormData();
    for (const [k, v] of Object.entries(fields)) f.append(k, v);
    for (const p of paths)
      f.append('images', new Blob([new Uint8Array(readFileSync(p))], { type: 'image/jpeg' }), basename(p));
    return f;
  };
  /** The subjects GLIMPSE_EVENTS holds for a person. */
  const eventSubjects = async (personId: string) => {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(Events.STREAM, { subjects_filter: Events.personFilter(personId) });
    return Object.keys(info.state.subjects ?? {});
  };

  let personId: string;
  let faceIds: string[];
  const crops = new Map<string, Buffer>();

  beforeAll(async () => {
    const natsUrl = `nats://127.0.0.1:${await freePort()}`;
    if (backend === 'postgres') pg = await startPostgres();
    stack = await startStack({
      env: pg ? { DATABASE_URL: pg.url } : {},
      natsUrl,
      port: 0,
      dataDir,
      logSink: { write: (s: string) => log.push(s) },
    });
    nc = await connect({ servers: natsUrl });
  }, 180_000);

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
    await pg?.stop();
  });

  it('exports a zip with every face the database has, each crop opened, the sightings and the events', async () => {
    const enrolled = await api('/api/v1/persons', {
      method: 'POST',
      body: form(threeOfOne.slice(0, 2), { name: 'Subject' }),
    });
    expect(enrolled.status).toBe(201);
    personId = (await enrolled.json()).id;
    const added = await api(`/api/v1/persons/${personId}/faces`, { method: 'POST', body: form(threeOfOne.slice(2)) });
    expect(added.status).toBe(201);
    const page = await (await api(`/api/v1/faces?personId=${personId}&pageSize=100`)).json();
    faceIds = page.items.map((f: { id: string }) => f.id).sort();
    expect(faceIds).toHaveLength(3);
    for (const id of faceIds) crops.set(id, Buffer.from(await (await api(`/api/v1/faces/${id}/crop`)).arrayBuffer()));
    const sightings = await (await api(`/api/v1/sightings?personId=${personId}&pageSize=100`)).json();
    await until("the person's events in GLIMPSE_EVENTS", async () => (await eventSubjects(personId)).length > 0);

    const res = await api(`/api/v1/persons/${personId}/export`);
    if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}\n${log.slice(-20).join('')}`);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="glimpse-person-\d+-export\.zip"$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const dir = unzip(Buffer.from(await res.arrayBuffer()));
    const doc: ExportDoc = JSON.parse(readFileSync(join(dir, 'person.json'), 'utf8'));

    expect(doc.format).toBe('glimpse-subject-access/1');
    expect(doc.person).toMatchObject({ id: personId, name: 'Subject', faceCount: 3 });
    expect(doc.faces.map((f) => f.id).sort()).toEqual(faceIds);
    for (const f of doc.faces) {
      expect(f).toMatchObject({ source: 'enroll', crop: `crops/${f.id}.jpg` });
      expect(f.box.width).toBeGreaterThan(0);
      expect(readFileSync(join(dir, f.crop!)).equals(crops.get(f.id)!)).toBe(true);
    }
    expect(readdirSync(join(dir, 'crops')).sort()).toEqual(faceIds.map((id) => `${id}.jpg`));
    expect(doc.sightings.map((s) => s.id).sort()).toEqual(sightings.items.map((s: { id: string }) => s.id).sort());
    expect(doc.events.length).toBeGreaterThan(0);
    for (const e of doc.events) expect(e.subject.endsWith(`.${personId}`)).toBe(true);
    expect(doc.events.map((e) => e.subject)).toEqual(
      expect.arrayContaining([`glimpse.events.person.created.${personId}`]),
    );
  });

  it('refuses an unknown person (404) and a malformed id (400) as problem+json', async () => {
    const missing = await api('/api/v1/persons/00000000-0000-4000-8000-000000000000/export');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await api('/api/v1/persons/nope/export')).status).toBe(400);
  });

  it('after erasure nothing of the person remains: API, database, crops, events', async () => {
    expect(faceIds).toHaveLength(3);
    expect((await api(`/api/v1/persons/${personId}`, { method: 'DELETE' })).status).toBe(200);
    expect((await api(`/api/v1/persons/${personId}`)).status).toBe(404);
    expect((await api(`/api/v1/persons/${personId}/export`)).status).toBe(404);
    expect((await (await api(`/api/v1/faces?personId=${personId}`)).json()).total).toBe(0);
    expect((await (await api(`/api/v1/sightings?personId=${personId}`)).json()).total).toBe(0);
    for (const id of faceIds) expect((await api(`/api/v1/faces/${id}/crop`)).status).toBe(404);
    // only the announcement of the deletion itself, which carries ids and a reason, nothing about the face
    expect(await eventSubjects(personId)).toEqual([`glimpse.events.person.deleted.${personId}`]);

    await stack.stop();
    const db = await openDatabase({ DATA_DIR: join(dataDir, 'pglite'), DATABASE_URL: pg?.url }, new Logger('test'));
    try {
      const [left] = await db.prisma.$queryRaw<Array<{ faces: number; sightings: number; persons: number }>>`
        SELECT (SELECT count(*) FROM faces WHERE id = ANY(${faceIds}::uuid[]))::int AS faces,
               (SELECT count(*) FROM sightings WHERE person_id = ${personId}::uuid)::int AS sightings,
               (SELECT count(*) FROM persons WHERE id = ${personId}::uuid)::int AS persons`;
      expect(left).toEqual({ faces: 0, sightings: 0, persons: 0 });
    } finally {
      await db.close();
    }
    // the crop bytes are in no file of the data directories (sealed while stored, erased since)
    const files = execFileSync('find', [dataDir, ...(pg ? [pg.dataDir] : []), '-type', 'f'])
      .toString()
      .trim()
      .split('\n');
    for (const jpeg of crops.values()) {
      const probe = jpeg.subarray(jpeg.length - 256);
      for (const f of files) expect({ f, found: readFileSync(f).includes(probe) }).toEqual({ f, found: false });
    }
  });
});

function unzip(zip: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-export-zip-'));
  const file = join(dir, 'export.zip');
  writeFileSync(file, zip);
  expect(execFileSync('unzip', ['-t', file]).toString()).toMatch(/No errors detected/);
  execFileSync('unzip', ['-q', file, '-d', join(dir, 'out')]);
  return join(dir, 'out');
}
