/**
 * RECOGNITION_MODE=watchlist (docs/privacy.md) on the real stack (gateway → recognizer → matcher, real
 * worker, JetStream), on PGlite and on Postgres: only enrolled (named) persons are matched; a face that
 * matches nobody is answered as `unknown` and nothing about it is kept. The stranger's encoding and crop
 * are taken from the worker exactly as the recognizer asks for them, then looked for everywhere: every
 * table dumped as text and the database files, every stored crop (opened by the API and encoded again),
 * every message of GLIMPSE_EVENTS and the NATS store, and the services' logs at debug level.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Logger } from '@nestjs/common';
import { connect, type NatsConnection } from 'nats';
import { Events } from '@glimpse/contracts';
import { freePort } from '@glimpse/testing';
import { openDatabase } from '../../services/matcher/src/database/open-database';
import { toVectorLiteral } from '../../services/matcher/src/face.repository';
import { authed } from '../support/auth';
import {
  describeEachBackend,
  grepFiles,
  startPostgres,
  withClient,
  type TestPostgres,
  skipEachBackend,
} from '../support/postgres';
import { fixturePhotos, photosByPerson } from '../support/worker';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require('../../infra/scripts/stack.js');

const photos = fixturePhotos();
const byPerson = photosByPerson(photos);
const LOOK_ALIKES = new Set(['ana_palacio', 'gregg_popovich', 'heidi_klum', 'bernard_landry']);
const people = [...byPerson].filter(([id, ps]) => ps.length >= 3 && !LOOK_ALIKES.has(id));
const [known, stranger] = [people[0]?.[1], people[1]?.[1]];
if (!stranger) console.warn('\n*** SKIPPING watchlist tests: no fixture faces (set GLIMPSE_FIXTURES) ***\n');
const describeIf = stranger ? describeEachBackend : skipEachBackend;

/** The recognizer's defaults (services/recognizer/src/config.ts), so the worker answers as it does in the pipeline. */
const PIPELINE_QUERY = 'detector=blaze&upsample=1&jitters=1&crops=true&detect_max_side=400&detect_min_scale=0.5';

const distance = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));

/** Every 128-number vector in a text dump (pgvector prints `[v1,v2,…]`). */
function vectorsIn(text: string): number[][] {
  return [...text.matchAll(/\[([-0-9.e+,]+)\]/g)]
    .map((m) => m[1].split(',').map(Number))
    .filter((v) => v.length === 128);
}

jest.setTimeout(300_000);

describeIf('RECOGNITION_MODE=watchlist (real stack)', (backend) => {
  let pg: TestPostgres | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-watchlist-'));
  const log: string[] = [];
  let stack: any;
  let nc: NatsConnection;
  const fetch = authed(() => stack?.apiKey);
  const api = (path: string, init?: RequestInit) => fetch(`${stack.url}${path}`, init);
  const recognize = async (path: string) => {
    const res = await api('/api/v1/recognize', {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: readFileSync(path),
    });
    expect(res.status).toBe(200);
    return (await res.json()).faces as Array<{
      personId: string | null;
      faceId: string | null;
      decision: string;
      isNew: boolean;
      box: object;
    }>;
  };
  /** The one face of a photo (or crop) as the worker encodes it for the recognizer: encoding and crop bytes. */
  const workerFace = async (image: Buffer) => {
    const res = await globalThis.fetch(`${stack.workerUrl}/v1/encode?${PIPELINE_QUERY}`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(image),
    });
    expect(res.status).toBe(200);
    const faces = (await res.json()).faces as Array<{ encoding: number[]; crop: string }>;
    return faces.map((f) => ({ encoding: f.encoding, crop: Buffer.from(f.crop, 'base64') }));
  };
  let strangerFace: { encoding: number[]; crop: Buffer };
  let knownEncoding: number[];
  let knownId: string;
  // a stretch from the middle of the crop: JPEG headers are alike, the scan data is the face's own
  const cropChunk = () => strangerFace.crop.subarray(strangerFace.crop.length / 2, strangerFace.crop.length / 2 + 48);

  beforeAll(async () => {
    if (backend === 'postgres') pg = await startPostgres();
    const natsUrl = `nats://127.0.0.1:${await freePort()}`;
    const env = { RECOGNITION_MODE: 'watchlist', LOG_LEVEL: 'debug', ...(pg ? { DATABASE_URL: pg.url } : {}) };
    stack = await startStack({ natsUrl, port: 0, dataDir, env, logSink: { write: (s: string) => log.push(s) } });
    nc = await connect({ servers: natsUrl });
  }, 180_000);

  afterAll(async () => {
    await nc?.close();
    await stack?.stop();
    await pg?.stop();
  });

  it('matches an enrolled, named person and keeps their face as in remember mode', async () => {
    const privacy = await (await api('/api/v1/privacy')).json();
    expect(privacy).toMatchObject({ recognitionMode: 'watchlist', cropsEncrypted: true });
    const form = new FormData();
    form.append('name', 'Known');
    for (const p of known!.slice(0, 2))
      form.append('images', new Blob([new Uint8Array(readFileSync(p))], { type: 'image/jpeg' }), basename(p));
    const res = await api('/api/v1/persons', { method: 'POST', body: form });
    expect(res.status).toBe(201);
    knownId = (await res.json()).id;
    const [face] = await recognize(known![2]);
    expect(face).toMatchObject({ personId: knownId, decision: 'match' });
    [{ encoding: knownEncoding }] = await workerFace(readFileSync(known![2]));
  });

  it('answers a stranger as unknown and keeps no person, face or event about them', async () => {
    [strangerFace] = await workerFace(readFileSync(stranger![0]));
    const before = await (await api('/api/v1/faces?pageSize=1')).json();
    for (const p of stranger!.slice(0, 2)) {
      const [face] = await recognize(p);
      expect(face).toMatchObject({ personId: null, faceId: null, decision: 'unknown', isNew: false });
    }
    expect((await (await api('/api/v1/persons')).json()).items.map((p: { id: string }) => p.id)).toEqual([knownId]);
    expect((await (await api('/api/v1/faces?pageSize=1')).json()).total).toBe(before.total);
  });

  it('keeps no crop of the stranger: every stored crop, opened and encoded again, is someone else', async () => {
    const faces = (await (await api('/api/v1/faces?pageSize=100')).json()).items as Array<{ id: string }>;
    expect(faces.length).toBeGreaterThanOrEqual(2); // the enrolled photos (and the recognized one)
    const distances = { stranger: [] as number[], known: [] as number[] };
    for (const f of faces) {
      const res = await api(`/api/v1/faces/${f.id}/crop`);
      expect(res.status).toBe(200);
      const crop = Buffer.from(await res.arrayBuffer());
      expect(crop.includes(cropChunk())).toBe(false);
      for (const again of await workerFace(crop)) {
        distances.stranger.push(distance(again.encoding, strangerFace.encoding));
        distances.known.push(distance(again.encoding, knownEncoding));
      }
    }
    expect(Math.min(...distances.stranger)).toBeGreaterThan(0.6);
    // the check can see a face: the known person's crops are found to be them
    expect(Math.min(...distances.known)).toBeLessThan(0.6);
  });

  it('publishes nothing about the stranger: every message of GLIMPSE_EVENTS is about the known person', async () => {
    const jsm = await nc.jetstreamManager();
    const { state } = await jsm.streams.info(Events.STREAM);
    const messages: Array<{ subject: string; data: string }> = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(Events.STREAM, { seq }).catch(() => null); // erased: gone
      if (m) messages.push({ subject: m.subject, data: m.string() });
    }
    expect(messages.length).toBeGreaterThan(0); // the enrollment at least
    for (const m of messages) {
      expect(Events.personOfSubject(m.subject)).toBe(knownId);
      expect(m.data).not.toContain(String(strangerFace.encoding[0]));
      expect(m.data).not.toContain(cropChunk().toString('base64').slice(4, 40));
    }
  });

  it('leaves no trace of the stranger in the database tables and files, the NATS store or the logs', async () => {
    await stack.stop();
    const { dump, closest } = await dumpDatabase();
    // the dump shows stored encodings: the known person's recognized face is among them...
    const vectors = vectorsIn(dump);
    expect(Math.min(...vectors.map((v) => distance(v, knownEncoding)))).toBeLessThan(0.05);
    // ...and none is the stranger's (their own photo encodes within float rounding; someone else is far)
    expect(Math.min(...vectors.map((v) => distance(v, strangerFace.encoding)))).toBeGreaterThan(0.3);
    expect(closest).toBeGreaterThan(0.3);
    const floats = Buffer.from(new Float32Array(strangerFace.encoding.slice(0, 4)).buffer);
    const files = [pg?.dataDir ?? join(dataDir, 'pglite'), join(dataDir, 'nats')];
    for (const dir of files) {
      expect(grepFiles(dir, floats)).toBe(false);
      expect(grepFiles(dir, cropChunk())).toBe(false);
    }
    const text = log.join('');
    expect(text).toContain('RouterExplorer'); // the services logged at debug level (Nest's start-up chatter shows only then)
    for (const v of strangerFace.encoding.slice(0, 8)) expect(text).not.toContain(String(v));
    expect(text).not.toContain(cropChunk().toString('base64').slice(4, 40));
  });

  /** Every table of the matcher (public and audit schemas) as text, and the nearest stored encoding to the stranger's. */
  async function dumpDatabase(): Promise<{ dump: string; closest: number }> {
    const v = toVectorLiteral(strangerFace.encoding);
    const tablesSql = `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
                       WHERE table_schema IN ('public', 'audit') AND table_type = 'BASE TABLE'`;
    const closestSql = `SELECT min(embedding <-> '${v}'::vector)::float8 AS closest FROM faces`;
    if (pg) {
      // as the superuser: every table, whoever owns it
      return withClient(pg.adminUrl, async (c) => {
        const tables = (await c.query<{ t: string }>(tablesSql)).rows.map((r) => r.t);
        const dumps = await Promise.all(
          tables.map(async (t) =>
            (await c.query<{ r: string }>(`SELECT x::text AS r FROM ${t} x`)).rows.map((r) => r.r).join('\n'),
          ),
        );
        return { dump: dumps.join('\n'), closest: (await c.query<{ closest: number }>(closestSql)).rows[0].closest };
      });
    }
    const db = await openDatabase({ DATA_DIR: join(dataDir, 'pglite'), DATABASE_URL: undefined }, new Logger('test'));
    try {
      const tables = (await db.prisma.$queryRawUnsafe<Array<{ t: string }>>(tablesSql)).map((r) => r.t);
      const dumps: string[] = [];
      for (const t of tables)
        dumps.push(
          (await db.prisma.$queryRawUnsafe<Array<{ r: string }>>(`SELECT x::text AS r FROM ${t} x`))
            .map((r) => r.r)
            .join('\n'),
        );
      const [{ closest }] = await db.prisma.$queryRawUnsafe<Array<{ closest: number }>>(closestSql);
      return { dump: dumps.join('\n'), closest };
    } finally {
      await db.close();
    }
  }
});
