/**
 * Issue #4, matcher half, against real dependencies: PGlite + pgvector in a temp dir (and again a real
 * PostgreSQL + pgvector, test/support/postgres.ts), a private nats-server
 * with JetStream, and the matcher application in-process. Enrollment with quality refusals, rename, merge,
 * moving faces, 1:N search, sightings (start, throttled updates, end, best crop, stored faces),
 * JetStream events with de-duplication, retention, and privacy erasure checked in the database, in the
 * database's files on disk, and in the stream replayed from sequence 1.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Events,
  FaceCrop,
  FaceMove,
  FaceSearch,
  FacesList,
  MatchFaces,
  PersonDelete,
  PersonEnroll,
  PersonGet,
  PersonMerge,
  PersonRename,
  PersonsList,
  SightingGet,
  SightingsList,
  type Encoding,
  type FaceQuality,
} from '@glimpse/contracts';
import { BUS, Bus } from '@glimpse/platform';
import { until } from '@glimpse/testing';
import { AppModule } from '../../services/matcher/src/app.module';
import { loadMatcherConfig } from '../../services/matcher/src/config';
import { Database } from '../../services/matcher/src/database/database';
import { ErasureService } from '../../services/matcher/src/erasure.service';
import { EventRelay } from '../../services/matcher/src/events/event-relay';
import { EventStream } from '../../services/matcher/src/events/event-stream';
import { PersonService } from '../../services/matcher/src/person.service';
import { rng } from '../support/encodings';
import { describeEachBackend, startPostgres, withClient, type TestPostgres } from '../support/postgres';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';

jest.setTimeout(120_000);

const RUN = randomBytes(4).toString('hex');
const QUIET_MS = 2500;
const THROTTLE_MS = 1000;

const r = rng(4242);

/** A JPEG-looking crop with a marker that can be searched for in the database's files. */
const crop = (tag: string) =>
  Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
    Buffer.from(`${tag}-${RUN}`),
    randomBytes(3000),
    Buffer.from([0xff, 0xd9]),
  ]);
const box = (w = 80) => ({ x: 10, y: 20, width: w, height: w });
const good: FaceQuality = { faceWidth: 120, sharpness: 150 };
const enrollFace = (encoding: Encoding, tag: string, quality: FaceQuality = good) => ({
  box: box(quality.faceWidth),
  encoding,
  crop: crop(tag).toString('base64'),
  quality,
});

type Replayed = { seq: number; subject: string; event: Events.Event; raw: string };

describeEachBackend('matcher events, sightings and erasure (real NATS JetStream)', (backend) => {
  let pg: TestPostgres | undefined;
  const dataDir = join(mkdtempSync(join(tmpdir(), 'glimpse-matcher-events-')), 'pglite');
  let nats: PrivateNats;
  let app: INestApplicationContext;
  let client: Bus;
  let seq = 0;

  const A = r.unit(); // Alice, enrolled
  const B = r.unit(); // seen by an upload first, later enrolled as Bob: merged
  const C = r.unit(); // a stream visitor
  let alice: string;
  let bob: string;
  let bUnnamed: string;

  const frame = (source: string) => ({
    source,
    seq: seq++,
    capturedAt: new Date().toISOString(),
    width: 640,
    height: 480,
  });
  const match = (source: string, faces: MatchFaces.Request['faces']) =>
    client.request(MatchFaces.contract, { frame: frame(source), store: true, faces });
  const face = (encoding: Encoding, tag: string, w = 80, quality?: FaceQuality) => ({
    box: box(w),
    encoding,
    crop: crop(tag).toString('base64'),
    ...(quality ? { quality } : {}),
  });
  /** Sends a payload as-is, past the client's own validation, to see what the matcher answers. */
  const raw = async (subject: string, body: unknown) => {
    const m = await client.nc.request(subject, new TextEncoder().encode(JSON.stringify(body)), { timeout: 5000 });
    return JSON.parse(new TextDecoder().decode(m.data)) as { ok: boolean; error?: { code: string; message: string } };
  };
  const db = () => app.get(Database);
  const sql = <T>(q: TemplateStringsArray, ...values: unknown[]) => db().prisma.$queryRaw<T[]>(q, ...values);
  const settle = () => app.get(EventRelay).drain();

  /** Every event in the stream from sequence 1, through an ordered consumer (what a new subscriber sees). */
  async function replay(): Promise<Replayed[]> {
    await settle();
    const jsm = await client.nc.jetstreamManager();
    const { state } = await jsm.streams.info(Events.STREAM);
    if (state.messages === 0) return [];
    const consumer = await client.nc.jetstream().consumers.get(Events.STREAM, { opt_start_seq: 1 });
    const out: Replayed[] = [];
    for (;;) {
      const m = await consumer.next({ expires: 2000 });
      if (!m) break;
      const raw = m.string();
      out.push({ seq: m.seq, subject: m.subject, event: Events.event.parse(JSON.parse(raw)), raw });
      if (m.seq >= state.last_seq) break;
    }
    await consumer.delete();
    return out;
  }
  const ofType = <T extends Events.EventType>(events: Replayed[], type: T) =>
    events.filter((e) => e.event.type === type).map((e) => e.event as Events.EventOf<T>);

  beforeAll(async () => {
    if (backend === 'postgres') pg = await startPostgres();
    nats = await startPrivateNats();
    client = await Bus.connect({ servers: nats.url, name: `events-it-client-${RUN}` });
    const config = loadMatcherConfig({
      NATS_URL: nats.url,
      DATABASE_URL: pg?.url,
      DATA_DIR: dataDir,
      INSTANCE_ID: `events-it-${RUN}`,
      LOG_LEVEL: 'warn',
      SIGHTING_QUIET_MS: String(QUIET_MS),
      SIGHTING_UPDATE_THROTTLE_MS: String(THROTTLE_MS),
      SIGHTING_SWEEP_INTERVAL_MS: '100',
      EVENTS_RELAY_INTERVAL_MS: '100',
      ERASURE_COMPACT_DELAY_MS: '0',
      RETENTION_UNNAMED_DAYS: '30',
    });
    app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: ['error', 'warn'] });
    await app.init();
    await app.get<Bus>(BUS).nc.flush();
  });

  afterAll(async () => {
    await app?.close();
    await client?.close();
    await nats?.stop();
    await pg?.stop();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  describe('enrollment', () => {
    it('enrolls a named person from several photos; recognition then returns the name', async () => {
      const reply = await client.request(PersonEnroll.contract, {
        name: '  Alice Liddell ',
        faces: [enrollFace(A, 'alice-1'), enrollFace(r.near(A, 0.15), 'alice-2')],
      });
      expect(reply).toMatchObject({
        created: true,
        person: { name: 'Alice Liddell', faceCount: 2 },
        similarPersons: [],
      });
      expect(reply.faceIds).toHaveLength(2);
      alice = reply.person.id;

      const {
        faces: [f],
      } = await match('upload', [face(r.near(A, 0.2), 'alice-upload')]);
      expect(f).toMatchObject({ personId: alice, personName: 'Alice Liddell', isNew: false });

      const created = ofType(await replay(), 'person.created').find((e) => e.data.personId === alice)!;
      expect(created).toMatchObject({
        id: `person.created:${alice}`,
        data: { origin: 'enrollment', source: 'enroll', personName: 'Alice Liddell', faceIds: reply.faceIds },
      });
      expect(created.data.cropUrl).toBe(`/api/v1/faces/${reply.faceIds[0]}/crop`);
    });

    it('refuses a too small or blurred face with the reason, and stores nothing', async () => {
      const [{ n: before }] = await sql<{ n: number }>`SELECT count(*)::int AS n FROM faces`;
      const refuse = (faces: PersonEnroll.Request['faces']) =>
        client.request(PersonEnroll.contract, { name: 'Nobody', faces });

      await expect(refuse([enrollFace(r.unit(), 'small', { faceWidth: 42, sharpness: 200 })])).rejects.toMatchObject({
        code: 'INVALID_IMAGE',
        message: 'face too small: 42 px wide, need at least 60',
      });
      await expect(refuse([enrollFace(r.unit(), 'blur', { faceWidth: 100, sharpness: 7.25 })])).rejects.toMatchObject({
        code: 'INVALID_IMAGE',
        message: 'face too blurred: sharpness 7.3, need at least 10',
      });
      await expect(
        refuse([enrollFace(r.unit(), 'ok'), enrollFace(r.unit(), 'small2', { faceWidth: 59, sharpness: 200 })]),
      ).rejects.toMatchObject({
        code: 'INVALID_IMAGE',
        message: 'face 2 of 2: face too small: 59 px wide, need at least 60',
      });
      await expect(
        raw(PersonEnroll.subject, { personId: alice, name: 'Both', faces: [enrollFace(A, 'x')] }),
      ).resolves.toMatchObject({
        ok: false,
        error: { code: 'INVALID_REQUEST', message: expect.stringContaining('not both') },
      });

      const [{ n: after }] = await sql<{ n: number }>`SELECT count(*)::int AS n FROM faces`;
      expect(after).toBe(before);
      expect((await client.request(PersonsList.contract, { name: 'Nobody' })).total).toBe(0);
    });

    it('creates a person seen before enrollment as a merge candidate, and adds faces to an existing person', async () => {
      const {
        faces: [seen],
      } = await match('upload', [face(B, 'b-upload')]);
      bUnnamed = seen.personId!;
      const bobReply = await client.request(PersonEnroll.contract, {
        name: 'Bob',
        faces: [enrollFace(r.near(B, 0.1), 'bob-1')],
      });
      bob = bobReply.person.id;
      expect(bobReply.similarPersons).toEqual([expect.objectContaining({ personId: bUnnamed, personName: null })]);
      expect(bobReply.similarPersons[0].distance).toBeCloseTo(0.1, 3);

      const more = await client.request(PersonEnroll.contract, {
        personId: alice,
        faces: [enrollFace(r.near(A, 0.1), 'alice-3')],
      });
      expect(more).toMatchObject({ created: false, person: { id: alice, faceCount: 4 }, similarPersons: [] });
      const enrolled = ofType(await replay(), 'person.enrolled');
      expect(enrolled).toEqual([
        expect.objectContaining({ data: expect.objectContaining({ personId: alice, faceIds: more.faceIds }) }),
      ]);
      expect(enrolled[0].id).toMatch(new RegExp(`^person.enrolled:${alice}:\\d+$`));
    });
  });

  describe('catalogue changes', () => {
    it('renames a person once per change, and back to unnamed', async () => {
      await expect(client.request(PersonRename.contract, { id: bob, name: 'Robert' })).resolves.toMatchObject({
        id: bob,
        name: 'Robert',
      });
      await client.request(PersonRename.contract, { id: bob, name: 'Robert' }); // no change, no event
      const renamed = ofType(await replay(), 'person.renamed');
      expect(renamed.map((e) => [e.data.personName, e.data.previousName])).toEqual([['Robert', 'Bob']]);

      const named = await client.request(PersonsList.contract, { named: true });
      expect(named.items.map((p) => p.name).sort()).toEqual(['Alice Liddell', 'Robert']);
      expect((await client.request(PersonsList.contract, { name: 'liddell' })).items.map((p) => p.id)).toEqual([alice]);
      expect((await client.request(PersonsList.contract, { named: false })).items.map((p) => p.id)).toContain(bUnnamed);
      await expect(raw(PersonRename.subject, { id: bUnnamed, name: '   ' })).resolves.toMatchObject({
        ok: false,
        error: { code: 'INVALID_REQUEST' },
      });
    });

    it('merges two persons: every face moves, the source is gone, the merge is an event', async () => {
      const reply = await client.request(PersonMerge.contract, { targetId: bob, sourceId: bUnnamed });
      expect(reply).toMatchObject({
        sourceId: bUnnamed,
        movedFaces: 1,
        person: { id: bob, name: 'Robert', faceCount: 2 },
      });
      await expect(client.request(PersonGet.contract, { id: bUnnamed })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const {
        faces: [f],
      } = await match('upload', [face(r.near(B, 0.05), 'b-again')]);
      expect(f).toMatchObject({ personId: bob, personName: 'Robert' });

      const merged = ofType(await replay(), 'person.merged');
      expect(merged).toEqual([
        expect.objectContaining({
          data: expect.objectContaining({ personId: bob, sourceId: bUnnamed, movedFaces: 1, personName: 'Robert' }),
        }),
      ]);
      await expect(raw(PersonMerge.subject, { targetId: bob, sourceId: bob })).resolves.toMatchObject({
        ok: false,
        error: { code: 'INVALID_REQUEST', message: expect.stringContaining('into itself') },
      });
    });

    it('moves a wrongly assigned face to a new person and back; a person left without faces is deleted', async () => {
      const { items } = await client.request(FacesList.contract, { personId: alice, source: 'enroll' });
      const wrong = items[0].id;
      const out = await client.request(FaceMove.contract, { faceId: wrong, toPersonId: null });
      expect(out).toMatchObject({
        faceId: wrong,
        fromPersonId: alice,
        createdPerson: true,
        fromPersonDeleted: false,
        person: { faceCount: 1 },
      });
      const moved = out.person.id;
      expect((await client.request(PersonGet.contract, { id: alice })).faceCount).toBe(3);
      const first = (await replay()).filter((e) => e.subject.endsWith(moved)).map((e) => e.event);
      expect(first).toEqual([
        expect.objectContaining({
          type: 'person.created',
          data: expect.objectContaining({ origin: 'face-move', faceIds: [wrong] }),
        }),
        expect.objectContaining({
          type: 'face.moved',
          data: expect.objectContaining({ faceId: wrong, fromPersonId: alice }),
        }),
      ]);

      const back = await client.request(FaceMove.contract, { faceId: wrong, toPersonId: alice });
      expect(back).toMatchObject({
        person: { id: alice, faceCount: 4 },
        createdPerson: false,
        fromPersonDeleted: true,
      });
      await expect(client.request(PersonGet.contract, { id: moved })).rejects.toMatchObject({ code: 'NOT_FOUND' });

      const events = await replay();
      expect(ofType(events, 'face.moved').map((e) => [e.data.faceId, e.data.fromPersonId, e.data.personId])).toEqual([
        [wrong, moved, alice],
      ]);
      // The emptied person was erased with their events (the first move was published under them); only
      // person.deleted remains.
      expect(events.filter((e) => e.subject.endsWith(moved)).map((e) => e.event)).toEqual([
        expect.objectContaining({
          type: 'person.deleted',
          data: { personId: moved, reason: 'emptied', deletedFaces: 0 },
        }),
      ]);
    });

    it('searches 1:N without storing: top-k persons by their closest face', async () => {
      const [{ n: before }] = await sql<{ n: number }>`SELECT count(*)::int AS n FROM faces`;
      const res = await client.request(FaceSearch.contract, { encoding: r.near(A, 0.12), k: 2 });
      expect(res.threshold).toBe(0.6);
      expect(res.results).toHaveLength(2);
      expect(res.results[0]).toMatchObject({ personId: alice, personName: 'Alice Liddell', match: true });
      expect(res.results[0].similarity).toBeGreaterThan(90);
      expect(res.results[1]).toMatchObject({ personId: bob, match: false }); // Alice's four faces count once
      expect(res.results[1].distance).toBeGreaterThan(res.results[0].distance);
      const strict = await client.request(FaceSearch.contract, { encoding: r.near(A, 0.3), k: 1, threshold: 0.2 });
      expect(strict.results[0]).toMatchObject({ personId: alice, match: false });
      const [{ n: after }] = await sql<{ n: number }>`SELECT count(*)::int AS n FROM faces`;
      expect(after).toBe(before);
    });
  });

  describe('sightings', () => {
    const stream = `cam-${RUN}`;
    let visitor: string;

    it('turns consecutive frames into one sighting: started, throttled updates, ended after the quiet time', async () => {
      const f1 = await match(stream, [face(C, 'c-1', 60, { faceWidth: 60, sharpness: 150 })]);
      visitor = f1.faces[0].personId!;
      expect(f1.faces[0]).toMatchObject({ isNew: true });
      expect(f1.faces[0].faceId).not.toBeNull(); // a new person's first face is always kept
      // Bigger and sharp: the new best crop, stored.
      const f2 = await match(stream, [face(r.near(C, 0.1), 'c-2', 110, { faceWidth: 110, sharpness: 180 })]);
      expect(f2.faces[0]).toMatchObject({ personId: visitor, isNew: false });
      const best = f2.faces[0].faceId;
      expect(best).not.toBeNull();
      // Bigger but blurred: scores lower (120² × 0.3 < 110²), so not stored.
      const f3 = await match(stream, [face(r.near(C, 0.1), 'c-3', 120, { faceWidth: 120, sharpness: 30 })]);
      expect(f3.faces[0]).toMatchObject({ personId: visitor, faceId: null });
      await new Promise((res) => setTimeout(res, THROTTLE_MS + 100)); // clock time: past the update throttle
      // Two faces alike in one frame are two persons (a frame's faces never share one): the closer one
      // is the visitor, whose sighting counts the frame; the other starts a person and sighting of its own.
      await match(stream, [face(r.near(C, 0.1), 'c-4', 70), face(r.near(C, 0.12), 'c-4b', 70)]);
      await match(stream, [face(r.near(C, 0.1), 'c-5', 70)]);

      const open = await client.request(SightingsList.contract, { streamId: stream, state: 'open' });
      expect(open.items).toHaveLength(2);
      const mine = open.items.filter((s) => s.personId === visitor);
      expect(mine).toEqual([
        expect.objectContaining({ personId: visitor, frames: 5, bestFaceId: best, endedAt: null }),
      ]);
      const sightingId = mine[0].id;

      const events = (await replay()).filter(
        (e) => e.event.type.startsWith('sighting.') && e.subject.endsWith(visitor),
      );
      expect(events.map((e) => [e.event.type, (e.event.data as { frames: number }).frames])).toEqual([
        ['sighting.started', 1],
        ['sighting.updated', 4], // frames 2 and 3 fell within the throttle, frame 5 too
      ]);
      expect(events[0].subject).toBe(`glimpse.events.sighting.started.${visitor}`);
      expect(events[1].event.id).toBe(`sighting.updated:${sightingId}:4`);

      await until(
        'the sighting to end',
        async () => (await client.request(SightingGet.contract, { id: sightingId })).endedAt !== null,
        QUIET_MS * 4,
      );
      const ended = ofType(await replay(), 'sighting.ended').filter((e) => e.data.sightingId === sightingId);
      expect(ended).toHaveLength(1);
      expect(ended[0].data).toMatchObject({
        frames: 5,
        bestFaceId: best,
        cropUrl: `/api/v1/faces/${best}/crop`,
        streamId: stream,
      });
      expect(ended[0].data.durationMs).toBeGreaterThanOrEqual(THROTTLE_MS);
      const crop = await client.request(FaceCrop.contract, { id: best! });
      expect(Buffer.from(crop.jpeg, 'base64').toString('latin1')).toContain(`c-2-${RUN}`);

      // Seen again after the quiet time: a new sighting.
      await match(stream, [face(r.near(C, 0.1), 'c-6', 70)]);
      const all = await client.request(SightingsList.contract, { personId: visitor });
      expect(all.items.map((s) => s.endedAt === null)).toEqual([true, false]);
    });

    it('with STORE_STREAM_FACES=best keeps only faces that improved their sighting', async () => {
      const source = `cam2-${RUN}`;
      const D = r.unit();
      const widths = Array.from({ length: 40 }, () => 60 + Math.floor(r.uniform() * 120));
      let best = 0;
      const expectedStored = widths.filter((w) => (w > best ? ((best = w), true) : false)).length;
      let person = '';
      for (const w of widths) {
        const {
          faces: [f],
        } = await match(source, [face(r.near(D, 0.05), 'd', w)]);
        person ||= f.personId!;
      }
      const [{ n }] = await sql<{ n: number }>`SELECT count(*)::int AS n FROM faces WHERE person_id = ${person}::uuid`;
      expect(n).toBe(expectedStored);
      expect(n).toBeLessThan(widths.length / 4);
      const [s] = (await client.request(SightingsList.contract, { streamId: source })).items;
      expect(s.frames).toBe(40);
      const bestFace = await sql<{ w: number }>`SELECT box_width AS w FROM faces WHERE id = ${s.bestFaceId}::uuid`;
      expect(bestFace[0].w).toBe(Math.max(...widths));
    });
  });

  describe('JetStream', () => {
    it('created GLIMPSE_EVENTS with file storage, the configured max age and a 2 minute duplicate window', async () => {
      const jsm = await client.nc.jetstreamManager();
      const { config } = await jsm.streams.info(Events.STREAM);
      expect(config).toMatchObject({
        subjects: ['glimpse.events.>'],
        storage: 'file',
        max_age: 30 * 86_400 * 1e9,
        duplicate_window: 120 * 1e9,
      });
    });

    it('stores an event published twice with the same id once', async () => {
      const jsm = await client.nc.jetstreamManager();
      const before = (await jsm.streams.info(Events.STREAM)).state.messages;
      const stream = app.get(EventStream);
      const payload = JSON.stringify({ id: `probe:${RUN}`, type: 'probe' });
      const subject = `glimpse.events.probe.test.${RUN}`;
      const first = await stream.publish(subject, payload, `probe:${RUN}`);
      const again = await stream.publish(subject, payload, `probe:${RUN}`);
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ seq: first.seq, duplicate: true });
      expect((await jsm.streams.info(Events.STREAM)).state.messages).toBe(before + 1);
      await jsm.streams.purge(Events.STREAM, { filter: subject });
    });

    it('publishes every event with a unique id and a valid envelope', async () => {
      const events = await replay();
      const ids = events.map((e) => e.event.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const e of events) {
        expect(e.subject).toBe(Events.subjectFor(e.event.type, Events.personOfSubject(e.subject)!));
        // No encodings or image bytes in any payload.
        expect(e.raw.length).toBeLessThan(2000);
        expect(e.raw).not.toMatch(/encoding|jpeg|base64/i);
      }
    });
  });

  describe('privacy erasure', () => {
    it('deletes a person with every face, crop, sighting and event, in the database, on disk and in the stream', async () => {
      // Robert: enrolled as Bob, renamed, merged with an unnamed person, and now seen in a stream.
      const stream = `door-${RUN}`;
      await match(stream, [face(r.near(B, 0.08), 'robert-stream', 90)]);
      await settle();
      const before = await replay();
      expect(before.some((e) => e.subject.endsWith(bob) && e.event.type === 'sighting.started')).toBe(true);
      expect(before.some((e) => e.subject.endsWith(bUnnamed))).toBe(true); // the alias's own events
      const faceIds = (await sql<{ id: string }>`SELECT id::text FROM faces WHERE person_id = ${bob}::uuid`).map(
        (f) => f.id,
      );
      expect(faceIds.length).toBeGreaterThanOrEqual(3);
      // Postgres: the table files, after the superuser flushed them (the WAL: see matcher.test.ts).
      const filesHave = async (needle: Buffer) => {
        if (!pg) return grepFiles(dataDir, needle);
        await withClient(pg.adminUrl, (c) => c.query('CHECKPOINT'));
        return grepFiles(join(pg.dataDir, 'base'), needle);
      };
      const cropMarker = Buffer.from(`bob-1-${RUN}`);
      const [{ emb }] = await sql<{
        emb: string;
      }>`SELECT embedding::text AS emb FROM faces WHERE person_id = ${bob}::uuid LIMIT 1`;
      const vectorBytes = Buffer.from(new Float32Array(JSON.parse(emb) as number[]).buffer).subarray(0, 32);
      expect(await filesHave(cropMarker)).toBe(true);
      expect(await filesHave(vectorBytes)).toBe(true);

      await expect(client.request(PersonDelete.contract, { id: bob })).resolves.toEqual({
        id: bob,
        deletedFaces: faceIds.length,
      });
      await settle();

      // The database.
      const left = await sql<{ faces: number; sightings: number; persons: number; aliases: number; outbox: number }>`
        SELECT (SELECT count(*) FROM faces WHERE person_id = ${bob}::uuid OR id = ANY(${faceIds}::uuid[]))::int AS faces,
               (SELECT count(*) FROM sightings WHERE person_id IN (${bob}::uuid, ${bUnnamed}::uuid))::int AS sightings,
               (SELECT count(*) FROM persons WHERE id IN (${bob}::uuid, ${bUnnamed}::uuid))::int AS persons,
               (SELECT count(*) FROM person_aliases WHERE alias_id = ${bUnnamed}::uuid OR person_id = ${bob}::uuid)::int AS aliases,
               (SELECT count(*) FROM event_outbox WHERE person_id IN (${bob}::uuid, ${bUnnamed}::uuid))::int AS outbox`;
      expect(left[0]).toEqual({ faces: 0, sightings: 0, persons: 0, aliases: 0, outbox: 0 });
      for (const id of faceIds)
        await expect(client.request(FaceCrop.contract, { id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const {
        faces: [again],
      } = await client.request(MatchFaces.contract, {
        frame: frame('upload'),
        store: false,
        faces: [face(B, 'probe')],
      });
      expect(again).toMatchObject({ personId: null, isNew: true });

      // The files on disk: tables rewritten and the write-ahead log retired.
      await app.get(ErasureService).idle();
      expect(await filesHave(cropMarker)).toBe(false);
      expect(await filesHave(vectorBytes)).toBe(false);
      expect(await filesHave(Buffer.from(`alice-1-${RUN}`))).toBe(true); // others' data is still there

      // The stream, replayed from sequence 1: nothing refers to Robert or the person merged into him,
      // except the one person.deleted.
      const after = await replay();
      const mentions = after.filter(
        (e) => e.raw.includes(bob) || e.raw.includes(bUnnamed) || /Robert|"Bob"/.test(e.raw),
      );
      expect(mentions.map((e) => e.event)).toEqual([
        {
          id: `person.deleted:${bob}`,
          type: 'person.deleted',
          occurredAt: expect.any(String),
          data: { personId: bob, reason: 'request', deletedFaces: faceIds.length },
        },
      ]);
      expect(after.some((e) => e.subject.endsWith(alice))).toBe(true); // others' events stay
      // JetStream erased (overwrote) the deleted messages in its files too.
      expect(grepFiles(nats.storeDir, Buffer.from(`"personName":"Robert"`))).toBe(false);

      await expect(client.request(PersonDelete.contract, { id: bob })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('retention deletes unnamed persons not seen for RETENTION_UNNAMED_DAYS, and only those', async () => {
      const {
        faces: [stale],
      } = await match('upload', [face(r.unit(), 'stale')]);
      const {
        faces: [fresh],
      } = await match('upload', [face(r.unit(), 'fresh')]);
      const old = new Date(Date.now() - 31 * 86_400_000);
      await sql`UPDATE persons SET last_seen_at = ${old} WHERE id IN (${stale.personId}::uuid, ${alice}::uuid) RETURNING id`;

      await expect(app.get(PersonService).applyRetention()).resolves.toBe(1);
      await expect(client.request(PersonGet.contract, { id: stale.personId! })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(client.request(PersonGet.contract, { id: fresh.personId! })).resolves.toMatchObject({ name: null });
      await expect(client.request(PersonGet.contract, { id: alice })).resolves.toMatchObject({ name: 'Alice Liddell' }); // named: kept
      const deleted = ofType(await replay(), 'person.deleted').find((e) => e.data.personId === stale.personId);
      expect(deleted?.data).toEqual({ personId: stale.personId, reason: 'retention', deletedFaces: 1 });
    });

    it('loses no event when the stream disappears: it is created again and the outbox published', async () => {
      const jsm = await client.nc.jetstreamManager();
      // Let every open sighting end first, so nothing but the rename is published after the deletion.
      await until(
        'no open sighting',
        async () => (await client.request(SightingsList.contract, { state: 'open' })).total === 0,
        QUIET_MS * 4,
      );
      await settle();
      await jsm.streams.delete(Events.STREAM);
      const renamed = await client.request(PersonRename.contract, { id: alice, name: 'Alice' });
      expect(renamed.name).toBe('Alice');
      const events = await replay();
      expect(events.map((e) => e.event.type)).toEqual(['person.renamed']);
      expect(events[0].event.data).toMatchObject({
        personId: alice,
        personName: 'Alice',
        previousName: 'Alice Liddell',
      });
    });
  });
});

/** Whether any file under `dir` contains `needle` (binary-safe). */
function grepFiles(dir: string, needle: Buffer): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch {
      continue; // removed while we looked (a retired log segment)
    }
    if (data.includes(needle)) return true;
  }
  return false;
}
