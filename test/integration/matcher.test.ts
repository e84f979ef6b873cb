/**
 * The matcher against each backend, real PGlite+pgvector (a temp data dir) and a real PostgreSQL+pgvector
 * server (test/support/postgres.ts), and a real NATS server, in-process: matching semantics, the person
 * catalogue, events, persistence across a restart, deletion, and concurrent retries of one frame.
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  euclidean,
  FaceCrop,
  HealthCheck,
  MatchFaces,
  PersonDelete,
  PersonGet,
  PersonsList,
  RecognitionEvent,
  similarity,
  type Encoding,
  type RecognizedFace,
} from '@glimpse/contracts';
import { BUS, Bus } from '@glimpse/platform';
import { faceOfNobody, until } from '@glimpse/testing';
import { AppModule } from '../../services/matcher/src/app.module';
import { loadMatcherConfig } from '../../services/matcher/src/config';
import { Database } from '../../services/matcher/src/database/database';
import { PgliteDatabase } from '../../services/matcher/src/database/pglite.database';
import { ErasureService } from '../../services/matcher/src/erasure.service';
import { rng } from '../support/encodings';
import { describeEachBackend, grepFiles, startPostgres, withClient, type TestPostgres } from '../support/postgres';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';

// jest 29 ignores testTimeout inside `projects`, so set it here.
jest.setTimeout(120_000);

let NATS_URL = '';
const RUN = randomBytes(4).toString('hex');

const r = rng(20261128);

const crop = (tag: string) =>
  Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(tag), Buffer.from([0xff, 0xd9])]);
const box = { x: 10, y: 20, width: 80, height: 96 };
let seq = 0;
const faces = (...encodings: Encoding[]) =>
  encodings.map((encoding, i) => ({ box, encoding, crop: crop(`face-${i}`).toString('base64') }));

describeEachBackend('matcher (real NATS)', (backend) => {
  const SOURCE = `matcher-it-${backend}-${RUN}`;
  const frame = () => ({ source: SOURCE, seq: seq++, capturedAt: new Date().toISOString(), width: 640, height: 480 });
  let pg: TestPostgres | undefined;
  const dataDir = join(mkdtempSync(join(tmpdir(), 'glimpse-matcher-')), 'pglite');
  let app: INestApplicationContext | undefined;
  let client: Bus;
  let nats: PrivateNats;
  const events: RecognitionEvent.Payload[] = [];

  const A = r.unit();
  const B = r.unit();
  const C = r.unit();
  const ids: Record<'A' | 'B' | 'C', RecognizedFace[]> = { A: [], B: [], C: [] };

  async function startMatcher(): Promise<INestApplicationContext> {
    // the seed's nearest-face rule: these checks pin its distances (identity.test.ts: the person rule)
    const DATABASE_URL = pg?.url;
    const config = loadMatcherConfig({
      NATS_URL,
      DATABASE_URL,
      DATA_DIR: dataDir,
      INSTANCE_ID: `matcher-it-${RUN}`,
      LOG_LEVEL: 'warn',
      STORE_STREAM_FACES: 'all',
      MATCH_RULE: 'nearest',
    });
    const ctx = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: ['error', 'warn'] });
    await ctx.init();
    // The server must have the matcher's subscriptions before the client's first request.
    await ctx.get<Bus>(BUS).nc.flush();
    return ctx;
  }
  const match = (req: Omit<MatchFaces.Request, 'frame'>) =>
    client.request(MatchFaces.contract, { frame: frame(), ...req });
  const sql = <T>(query: TemplateStringsArray, ...values: unknown[]) =>
    app!.get(Database).prisma.$queryRaw<T[]>(query, ...values);
  const counts = async () =>
    (
      await sql<{ faces: number; persons: number }>`
    SELECT (SELECT count(*) FROM faces)::int AS faces, (SELECT count(*) FROM persons)::int AS persons`
    )[0];
  const expectNotFound = (p: Promise<unknown>) =>
    expect(p).rejects.toMatchObject({ name: 'GlimpseError', code: 'NOT_FOUND' });

  beforeAll(async () => {
    if (backend === 'postgres') pg = await startPostgres();
    nats = await startPrivateNats();
    NATS_URL = nats.url;
    client = await Bus.connect({ servers: NATS_URL, name: `matcher-it-client-${RUN}` });
    // A matcher already in the queue group would take some of these requests and break every assertion.
    const others = await client.gather(HealthCheck.contractFor('matcher'), {}, 300);
    if (others.length)
      throw new Error(`another matcher answers on ${NATS_URL} (${others.map((o) => o.instance)}); stop it first`);
    client.subscribe(RecognitionEvent.contract, (e) => void events.push(e), {
      subject: RecognitionEvent.subjectFor(SOURCE),
    });
    await client.nc.flush();
    app = await startMatcher();
  });

  afterAll(async () => {
    await app?.close();
    await client?.close();
    await nats?.stop();
    await pg?.stop();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('reports a healthy database, naming it without credentials', async () => {
    const health = await client.request(HealthCheck.contractFor('matcher'), {});
    expect(health).toEqual({
      service: 'matcher',
      instance: `matcher-it-${RUN}`,
      ok: true,
      checks: {
        database: { ok: true, detail: pg ? `postgres:${pg.where}` : `pglite:${dataDir}` },
        // test/support/postgres.ts seals the audit trail as compose does; PGlite has only the trigger
        audit: { ok: true, detail: expect.stringMatching(pg ? /^sealed: / : /^trigger-only: /) },
        events: { ok: true, detail: expect.stringMatching(/events published$/) },
        nats: { ok: true, detail: expect.stringContaining(` at ${NATS_URL.replace('nats://', '')}`) },
        jetstream: { ok: true, detail: expect.stringMatching(/^GLIMPSE_EVENTS (R1( on \S+)?|not created yet)$/) },
      },
    });
  });

  (backend === 'pglite' ? it : it.skip)('refuses a second PGlite on the same data dir', async () => {
    await expect(PgliteDatabase.open(dataDir)).rejects.toThrow(/is in use by this process/);
  });

  it('migrated the schema, with an HNSW index on the embeddings', async () => {
    const idx = await sql<{
      indexdef: string;
    }>`SELECT indexdef FROM pg_indexes WHERE tablename = 'faces' AND indexname = 'faces_embedding_hnsw_idx'`;
    expect(idx).toHaveLength(1);
    expect(idx[0].indexdef).toMatch(/USING hnsw \(embedding vector_l2_ops\)/);
    const applied = await sql<{ name: string }>`SELECT name FROM _glimpse_migrations ORDER BY name`;
    // every folder under prisma/migrations, in order: a new migration is covered without editing this test
    const shipped = readdirSync(join(__dirname, '../../services/matcher/prisma/migrations'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(shipped.slice(0, 4)).toEqual([
      '0001_init',
      '0002_sightings_events',
      '0003_frame_ledger',
      '0004_cannot_links',
    ]);
    expect(applied.map((m) => m.name)).toEqual(shipped);
  });

  it('creates a person per unknown face and publishes the recognition', async () => {
    const req = { frame: frame(), store: true, faces: faces(A, B) };
    const { faces: out } = await client.request(MatchFaces.contract, req);
    expect(out).toEqual([
      expect.objectContaining({ isNew: true, personNumber: 1, personName: null, distance: null, similarity: null }),
      expect.objectContaining({ isNew: true, personNumber: 2, distance: null, similarity: null }),
    ]);
    expect(out.every((f) => f.faceId && f.personId)).toBe(true);
    expect(out[0].personId).not.toBe(out[1].personId);
    [ids.A[0], ids.B[0]] = out;

    await until('the event', () => events.length === 1, 5000);
    expect(events[0]).toEqual({ frame: req.frame, faces: out });
  });

  it('matches a nearby encoding to the same person, with the similarity of its distance', async () => {
    const {
      faces: [f],
    } = await match({ store: true, faces: faces(r.near(A, 0.2)) });
    expect(f).toMatchObject({ isNew: false, personId: ids.A[0].personId, personNumber: 1 });
    expect(f.faceId).not.toBe(ids.A[0].faceId);
    expect(f.distance).toBeCloseTo(0.2, 4); // float4 storage
    expect(f.similarity).toBe(similarity(f.distance!, 0.6));
    ids.A.push(f);
  });

  it('never gives two faces of one request one person: the closer face keeps them, the other is new', async () => {
    const C2 = r.near(C, 0.3);
    const {
      faces: [c1],
    } = await match({ store: true, faces: faces(C) });
    expect(c1).toMatchObject({ isNew: true, personNumber: 3, decision: 'new' });
    const {
      faces: [c2],
    } = await match({ store: true, faces: faces(C2) });
    expect(c2).toMatchObject({ isNew: false, personId: c1.personId, personNumber: 3, decision: 'match' });
    expect(c2.distance).toBeCloseTo(euclidean(C, C2), 4);
    ids.C.push(c1, c2);

    const { faces: twins } = await match({ store: false, faces: faces(r.near(C, 0.2), r.near(C, 0.1)) });
    expect(twins.map((f) => [f.decision, f.personId])).toEqual([
      ['new', null],
      ['match', c1.personId],
    ]);
  });

  it('honours a per-request threshold', async () => {
    const probe = r.near(B, 0.35);
    const strict = await match({ store: false, threshold: 0.3, faces: faces(probe) });
    expect(strict.faces[0]).toMatchObject({ isNew: true, personId: null, distance: null });
    const lenient = await match({ store: false, threshold: 0.4, faces: faces(probe) });
    expect(lenient.faces[0]).toMatchObject({ isNew: false, personId: ids.B[0].personId });
    expect(lenient.faces[0].similarity).toBe(similarity(lenient.faces[0].distance!, 0.4));
  });

  it('with store=false matches but stores and publishes nothing', async () => {
    const before = await counts();
    const eventsBefore = events.length;
    const { faces: out } = await match({ store: false, faces: faces(r.near(A, 0.1), r.unit()) });
    expect(out[0]).toMatchObject({ faceId: null, isNew: false, personId: ids.A[0].personId });
    expect(out[1]).toEqual(faceOfNobody(box, { isNew: true, decision: 'new' }));
    expect(await counts()).toEqual(before);
    await client.nc.flush();
    await new Promise((res) => setTimeout(res, 200)); // a window for an event that must not come
    expect(events).toHaveLength(eventsBefore);
  });

  it('a far encoding is a new person', async () => {
    const {
      faces: [f],
    } = await match({ store: true, faces: faces(r.unit()) });
    expect(f).toMatchObject({ isNew: true, personNumber: 4 });
    expect(await counts()).toEqual({ faces: 6, persons: 4 });
  });

  it('lists persons newest first with counts and cover faces, paginated', async () => {
    const all = await client.request(PersonsList.contract, { page: 1, pageSize: 50 });
    expect(all.total).toBe(4);
    expect(all.items.map((p) => p.number)).toEqual([4, 3, 1, 2]);
    const alice = all.items.find((p) => p.number === 1)!;
    expect(alice).toMatchObject({ id: ids.A[0].personId, faceCount: 2, coverFaceId: ids.A[0].faceId, name: null });

    const page2 = await client.request(PersonsList.contract, { page: 2, pageSize: 3 });
    expect(page2).toMatchObject({ total: 4, page: 2, pageSize: 3 });
    expect(page2.items.map((p) => p.number)).toEqual([2]);
  });

  it('gets a person with faces newest first, and NOT_FOUND for strangers', async () => {
    const p = await client.request(PersonGet.contract, { id: ids.A[0].personId! });
    expect(p).toMatchObject({ number: 1, faceCount: 2, coverFaceId: ids.A[0].faceId });
    expect(p.faces.map((f) => f.id)).toEqual([ids.A[1].faceId, ids.A[0].faceId]);
    expect(p.faces[0]).toMatchObject({ box, source: SOURCE });
    await expectNotFound(client.request(PersonGet.contract, { id: randomUUID() }));
  });

  it('serves the stored crop bytes', async () => {
    const c = await client.request(FaceCrop.contract, { id: ids.B[0].faceId! });
    expect(Buffer.from(c.jpeg, 'base64')).toEqual(crop('face-1'));
    await expectNotFound(client.request(FaceCrop.contract, { id: randomUUID() }));
  });

  it('keeps every person across a restart on the same data dir', async () => {
    await app!.close();
    app = undefined;
    app = await startMatcher();
    const { faces: out } = await match({
      store: false,
      faces: faces(r.near(A, 0.15), r.near(B, 0.15), r.near(C, 0.15)),
    });
    expect(out.map((f) => [f.isNew, f.personId, f.personNumber])).toEqual([
      [false, ids.A[0].personId, 1],
      [false, ids.B[0].personId, 2],
      [false, ids.C[0].personId, 3],
    ]);
    expect(await counts()).toEqual({ faces: 6, persons: 4 });
  });

  it('deletes a person with every face and crop', async () => {
    const personId = ids.A[0].personId!;
    await expect(client.request(PersonDelete.contract, { id: personId })).resolves.toEqual({
      id: personId,
      deletedFaces: 2,
    });
    const left = await sql<{ n: number }>`SELECT count(*)::int AS n FROM faces WHERE person_id = ${personId}::uuid`;
    expect(left[0].n).toBe(0);
    expect(await counts()).toEqual({ faces: 4, persons: 3 });
    for (const f of ids.A) await expectNotFound(client.request(FaceCrop.contract, { id: f.faceId! }));
    await expectNotFound(client.request(PersonGet.contract, { id: personId }));
    await expectNotFound(client.request(PersonDelete.contract, { id: personId }));

    const {
      faces: [again],
    } = await match({ store: false, faces: faces(A) });
    expect(again).toMatchObject({ isNew: true, personId: null });
    // Numbers are never reused: the next new person is #5, not #1.
    const {
      faces: [next],
    } = await match({ store: true, faces: faces(A) });
    expect(next.personNumber).toBe(5);
  });

  it('answers a malformed request with INVALID_REQUEST', async () => {
    const raw = await client.nc.request(MatchFaces.subject, new TextEncoder().encode(JSON.stringify({ store: true })), {
      timeout: 5000,
    });
    expect(JSON.parse(new TextDecoder().decode(raw.data))).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
  });

  it('creates one person for concurrent frames of the same stranger', async () => {
    const D = r.unit();
    const before = await counts();
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => match({ store: true, faces: faces(r.near(D, 0.1)) })),
    );
    const persons = new Set(replies.map((rep) => rep.faces[0].personId));
    expect(persons.size).toBe(1);
    expect(replies.filter((rep) => rep.faces[0].isNew)).toHaveLength(1);
    expect(await counts()).toEqual({ faces: before.faces + 8, persons: before.persons + 1 });
  });

  it('stores one frame sent concurrently under one id by several clients exactly once', async () => {
    const before = await counts();
    const id = `dup-${backend}-${RUN}`;
    const req = { frame: { ...frame(), id }, store: true, faces: faces(r.unit(), r.unit()) };
    const clients = await Promise.all(
      [1, 2, 3, 4].map((i) => Bus.connect({ servers: NATS_URL, name: `dup-${i}-${RUN}` })),
    );
    try {
      // Two copies per client: retries racing each other inside the matcher's pool, not only across clients.
      const replies = await Promise.all(
        clients.flatMap((c) => [c.request(MatchFaces.contract, req), c.request(MatchFaces.contract, req)]),
      );
      expect(new Set(replies.map((rep) => JSON.stringify(rep))).size).toBe(1);
      expect(replies[0].faces.every((f) => f.faceId && f.isNew)).toBe(true);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    expect(await counts()).toEqual({ faces: before.faces + 2, persons: before.persons + 2 });
    expect(await sql<{ n: number }>`SELECT count(*)::int AS n FROM matched_frames WHERE frame_id = ${id}`).toEqual([
      { n: 1 },
    ]);
  });

  (backend === 'postgres' ? it : it.skip)(
    'erases a person from the table files as the non-superuser role; the WAL keeps it until the server recycles it',
    async () => {
      const marker = Buffer.from(`erase-me-${RUN}`);
      const unique = Buffer.concat([
        Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
        marker,
        randomBytes(2000),
        Buffer.from([0xff, 0xd9]),
      ]);
      const {
        faces: [f],
      } = await match({ store: true, faces: [{ box, encoding: r.unit(), crop: unique.toString('base64') }] });
      // The matcher's role is no superuser: it may not force a checkpoint, so the admin flushes the buffers.
      await expect(app!.get(Database).maintenance('CHECKPOINT')).rejects.toThrow(
        /permission denied|superuser|pg_checkpoint/i,
      );
      await withClient(pg!.adminUrl, (c) => c.query('CHECKPOINT'));
      expect(grepFiles(join(pg!.dataDir, 'base'), marker)).toBe(true);
      expect(await client.request(PersonDelete.contract, { id: f.personId! })).toEqual({
        id: f.personId,
        deletedFaces: 1,
      });
      await expectNotFound(client.request(FaceCrop.contract, { id: f.faceId! }));
      await app!.get(ErasureService).idle(); // VACUUM FULL: allowed to the tables' owner
      await withClient(pg!.adminUrl, (c) => c.query('CHECKPOINT'));
      expect(grepFiles(join(pg!.dataDir, 'base'), marker)).toBe(false);
      // pg_switch_wal() and CHECKPOINT need a superuser (or pg_checkpoint): the log still holds the crop until
      // Postgres recycles the segment (max_wal_size / checkpoints); that is the operator's WAL retention.
      expect(grepFiles(join(pg!.dataDir, 'pg_wal'), marker)).toBe(true);
    },
  );

  it('rolls a failed transaction back completely', async () => {
    const before = await counts();
    const db = app!.get(Database);
    await expect(
      db.transaction(async (tx) => {
        await tx.person.create({ data: {} });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await counts()).toEqual(before);
  });
});
