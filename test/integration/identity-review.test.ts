/**
 * Identity review on the real matcher (PGlite + pgvector in a temp dir, a private NATS with JetStream):
 * "not this person" (cannot-links, face.rejected, refused moves and merges, erasure), the "who is this?"
 * review queue, threshold calibration and the applied threshold across a restart.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  CalibrationGet,
  Events,
  FaceMove,
  FaceReject,
  FaceSearch,
  PersonDelete,
  PersonEnroll,
  PersonGet,
  PersonMerge,
  ReviewDifferent,
  ReviewList,
  ThresholdGet,
  ThresholdSet,
  type Encoding,
} from '@glimpse/contracts';
import { BUS, Bus } from '@glimpse/platform';
import { AppModule } from '../../services/matcher/src/app.module';
import { CannotLinkRepository } from '../../services/matcher/src/cannot-link.repository';
import { loadMatcherConfig } from '../../services/matcher/src/config';
import { Database } from '../../services/matcher/src/database/database';
import { MATCH_CONSTRAINTS, type MatchConstraints } from '../../services/matcher/src/decision/constraints';
import { EventRelay } from '../../services/matcher/src/events/event-relay';
import { FaceRepository } from '../../services/matcher/src/face.repository';
import { PersonRepository } from '../../services/matcher/src/person.repository';
import { rng } from '../support/encodings';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';

jest.setTimeout(120_000);

const RUN = randomBytes(4).toString('hex');
const r = rng(13_2026);
const crop = (tag: string) =>
  Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(tag), Buffer.from([0xff, 0xd9])]).toString(
    'base64',
  );
const box = { x: 10, y: 20, width: 120, height: 120 };
const enrollFace = (encoding: Encoding, tag: string) => ({
  box,
  encoding,
  crop: crop(tag),
  quality: { faceWidth: 120, sharpness: 150 },
});
const conflict = { name: 'GlimpseError', code: 'CONFLICT' };

describe('identity review (real PGlite + pgvector, real NATS)', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'glimpse-identity-review-')), 'pglite');
  let app: INestApplicationContext;
  let client: Bus;
  let nats: PrivateNats;
  let seq = 0;

  const start = async () => {
    const config = loadMatcherConfig({
      NATS_URL: nats.url,
      DATA_DIR: dataDir,
      INSTANCE_ID: `review-it-${RUN}`,
      LOG_LEVEL: 'warn',
      EVENTS_RELAY_INTERVAL_MS: '100',
    });
    const ctx = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: ['error', 'warn'] });
    await ctx.init();
    await ctx.get<Bus>(BUS).nc.flush();
    return ctx;
  };
  const sql = <T>(q: TemplateStringsArray, ...values: unknown[]) =>
    app.get(Database).prisma.$queryRaw<T[]>(q, ...values);
  const enroll = (name: string | undefined, encodings: Encoding[]) =>
    client.request(PersonEnroll.contract, {
      ...(name ? { name } : {}),
      faces: encodings.map((e, i) => enrollFace(e, `${name}-${i}`)),
    });
  /** Unnamed persons, one per face, all stored as faces of one frame (as two people in one picture are). */
  const sameFrame = (encodings: Encoding[]) =>
    app.get(Database).transaction(async (tx) => {
      const capturedAt = new Date();
      const frameSeq = seq++;
      const ids: string[] = [];
      for (const [i, encoding] of encodings.entries()) {
        const person = await app.get(PersonRepository).create(tx, capturedAt);
        await app.get(FaceRepository).insert(tx, {
          personId: person.id,
          encoding,
          box,
          source: 'cam-x',
          frameSeq,
          capturedAt,
          crop: Buffer.from(crop(`f${i}`), 'base64'),
        });
        ids.push(person.id);
      }
      return ids;
    });
  /** A request the client does not validate first, to see what the matcher itself refuses. */
  const raw = async (subject: string, body: unknown) =>
    JSON.parse(
      new TextDecoder().decode(
        (await client.nc.request(subject, new TextEncoder().encode(JSON.stringify(body)), { timeout: 5000 })).data,
      ),
    );

  async function events(): Promise<Events.Event[]> {
    await app.get(EventRelay).drain();
    const jsm = await client.nc.jetstreamManager();
    const { state } = await jsm.streams.info(Events.STREAM);
    const consumer = await client.nc.jetstream().consumers.get(Events.STREAM, { opt_start_seq: 1 });
    const out: Events.Event[] = [];
    while (out.length < state.messages) {
      const m = await consumer.next({ expires: 2000 });
      if (!m) break;
      out.push(Events.event.parse(JSON.parse(m.string())));
    }
    await consumer.delete();
    return out;
  }

  beforeAll(async () => {
    nats = await startPrivateNats();
    client = await Bus.connect({ servers: nats.url, name: `review-it-client-${RUN}` });
    app = await start();
  });

  afterAll(async () => {
    await app?.close();
    await client?.close();
    await nats?.stop();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  const A = r.unit();
  const B = r.unit();
  const C = r.unit();
  let alice: PersonEnroll.Reply;
  let stranger = ''; // the person Alice's rejected face went to

  it('says when there is too little data to calibrate', async () => {
    const reply = await client.request(CalibrationGet.contract, {});
    expect(reply).toMatchObject({ sufficient: false, namedPersons: 0, suggested: null, curve: [], far: 0.01 });
    expect(reply.reason).toMatch(/too little data: 0 named person/);
  });

  it('"not this person": the face leaves for a new person, face.rejected is published, and it never goes back', async () => {
    alice = await enroll('Alice', [A, r.near(A, 0.2), r.near(A, 0.25)]);
    const rejected = alice.faceIds[2];
    const reply = await client.request(FaceReject.contract, { faceId: rejected, personId: alice.person.id });
    expect(reply).toMatchObject({
      faceId: rejected,
      fromPersonId: alice.person.id,
      cannotLinks: 2,
      person: { name: null, faceCount: 1 },
    });
    stranger = reply.person.id;
    expect((await client.request(PersonGet.contract, { id: alice.person.id })).faces.map((f) => f.id).sort()).toEqual(
      alice.faceIds.slice(0, 2).sort(),
    );

    const published = (await events()).filter((e) => e.type === 'face.rejected');
    expect(published).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          faceId: rejected,
          fromPersonId: alice.person.id,
          personId: stranger,
          cannotLinks: 2,
        }),
      }),
    ]);

    await expect(
      client.request(FaceMove.contract, { faceId: rejected, toPersonId: alice.person.id }),
    ).rejects.toMatchObject(conflict);
    await expect(
      client.request(PersonMerge.contract, { targetId: alice.person.id, sourceId: stranger }),
    ).rejects.toMatchObject(conflict);
    await expect(
      client.request(PersonMerge.contract, { targetId: stranger, sourceId: alice.person.id }),
    ).rejects.toMatchObject(conflict);
    // already gone from Alice, and the stranger's only face: both refused
    await expect(
      client.request(FaceReject.contract, { faceId: rejected, personId: alice.person.id }),
    ).rejects.toMatchObject(conflict);
    await expect(client.request(FaceReject.contract, { faceId: rejected, personId: stranger })).rejects.toMatchObject(
      conflict,
    );
    // nothing moved
    expect((await client.request(PersonGet.contract, { id: stranger })).faces.map((f) => f.id)).toEqual([rejected]);
  });

  it('tells the decision rule which persons a face or person must not join, for new faces by their nearest stored face', async () => {
    const links = app.get(CannotLinkRepository);
    expect([...(await links.forbiddenPersons({ personId: alice.person.id }))]).toEqual([stranger]);
    expect([...(await links.forbiddenPersons({ faceIds: [alice.faceIds[2]] }))]).toEqual([alice.person.id]);
    expect([...(await links.forbiddenPersons({ faceIds: [] }))]).toEqual([]);

    const [{ encoding }] = await sql<{
      encoding: string;
    }>`SELECT embedding::text AS encoding FROM faces WHERE id = ${alice.faceIds[2]}::uuid`;
    const asRejected = JSON.parse(encoding) as number[];
    const excluded = await app
      .get(Database)
      .transaction((tx) =>
        app
          .get<MatchConstraints>(MATCH_CONSTRAINTS)
          .excludedPersons(tx, [{ encoding: asRejected }, { encoding: A }, { encoding: B }]),
      );
    expect(excluded.map((s) => [...s])).toEqual([[alice.person.id], [stranger], []]);
  });

  it('groups likely duplicates for review, never faces of one frame, and "different people" takes them out', async () => {
    const D = r.unit();
    // enrolled without a name, each its own person whatever the decision rule would say of a frame
    const d1 = (await enroll(undefined, [D])).person.id;
    const d2 = (await enroll(undefined, [r.near(D, 0.45)])).person.id;
    // two faces of one frame, close together: two people in one picture, never a duplicate
    const E = r.unit();
    const pair = await sameFrame([E, r.near(E, 0.3)]);

    const review = await client.request(ReviewList.contract, { maxDistance: 0.6 });
    const groups = review.groups.map((g) => g.persons.map((m) => m.person.id).sort());
    expect(groups).toContainEqual([d1, d2].sort());
    expect(groups.some((g) => g.includes(pair[0]) || g.includes(pair[1]))).toBe(false);
    // Alice and the face rejected from her are alike, but cannot-linked
    expect(groups.some((g) => g.includes(stranger))).toBe(false);
    const dGroup = review.groups.find((g) => g.persons.some((m) => m.person.id === d1))!;
    expect(dGroup.distance).toBeGreaterThan(0.3);
    expect(dGroup.distance).toBeLessThan(0.6);
    expect(dGroup.persons.every((m) => m.faceIds.length >= 1)).toBe(true);
    expect(review.consideredPersons).toBeGreaterThanOrEqual(4);

    await expect(client.request(ReviewDifferent.contract, { personIds: [d1, d2] })).resolves.toEqual({
      personIds: [d1, d2],
      cannotLinks: 1,
    });
    const after = await client.request(ReviewList.contract, { maxDistance: 0.6 });
    expect(after.groups.some((g) => g.persons.some((m) => m.person.id === d1))).toBe(false);
    await expect(client.request(PersonMerge.contract, { targetId: d1, sourceId: d2 })).rejects.toMatchObject(conflict);
    await expect(raw(ReviewDifferent.subject, { personIds: [d1, d1] })).resolves.toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
  });

  it('calibrates from named persons and cannot-links', async () => {
    await enroll('Bob', [B, r.near(B, 0.3)]);
    await enroll('Carol', [C, r.near(C, 0.35)]);
    const reply = await client.request(CalibrationGet.contract, { far: 0.05 });
    const [{ persons, links }] = await sql<{ persons: number; links: number }>`
      SELECT (SELECT count(*) FROM persons)::int AS persons, (SELECT count(*) FROM cannot_links)::int AS links`;
    expect(reply).toMatchObject({
      sufficient: true,
      reason: null,
      namedPersons: 3,
      galleryPersons: persons,
      genuinePairs: 3,
      cannotLinkPairs: links,
    });
    // 2 faces each of three differently named persons: 3 × 2 × 2 cross pairs, plus the cannot-links
    expect(reply.impostorPairs).toBe(12 + links);
    expect(reply.pairFar).toBeCloseTo(1 - (1 - 0.05) ** (1 / persons), 12);
    // too few impostor pairs to measure a 5% FAR at this gallery size: the suggestion is the largest
    // threshold with no impostor pair closer, i.e. the closest impostor pair (a face rejected from Alice)
    expect(reply.limitedByData).toBe(true);
    const [{ closest }] = await sql<{ closest: number }>`
      SELECT min(a.embedding <-> b.embedding)::float8 AS closest FROM cannot_links c JOIN faces a ON a.id = c.face_a JOIN faces b ON b.id = c.face_b`;
    expect(reply.suggested!.threshold).toBeCloseTo(Math.floor(closest / 0.005) * 0.005, 6);
    expect(reply.suggested!.pairFar).toBe(0);
    expect(reply.current).toMatchObject({ threshold: 0.6, frr: 0 });
    expect(reply.curve.length).toBeGreaterThan(50);
    expect(reply.histogram.genuine.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('applies a threshold, keeps it across a restart, and goes back to THRESHOLD on null', async () => {
    expect(await client.request(ThresholdGet.contract, {})).toEqual({
      threshold: 0.6,
      origin: 'config',
      updatedAt: null,
    });
    await expect(client.request(ThresholdSet.contract, { threshold: 0.45 })).resolves.toMatchObject({
      threshold: 0.45,
      origin: 'applied',
    });
    // searching uses it: no request threshold, so the reply names the one in force
    expect((await client.request(FaceSearch.contract, { encoding: A, k: 1 })).threshold).toBe(0.45);
    expect((await client.request(CalibrationGet.contract, {})).currentThreshold).toBe(0.45);

    await app.close();
    app = await start();
    expect(await client.request(ThresholdGet.contract, {})).toMatchObject({ threshold: 0.45, origin: 'applied' });
    await expect(client.request(ThresholdSet.contract, { threshold: null })).resolves.toEqual({
      threshold: 0.6,
      origin: 'config',
      updatedAt: null,
    });
    await expect(raw(ThresholdSet.subject, { threshold: 2 })).resolves.toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
  });

  it('erasing a person removes the cannot-links of its faces', async () => {
    const [{ n: before }] = await sql<{ n: number }>`SELECT count(*)::int AS n FROM cannot_links`;
    expect(before).toBeGreaterThan(0);
    await client.request(PersonDelete.contract, { id: stranger });
    const [{ n }] = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM cannot_links WHERE face_a = ${alice.faceIds[2]}::uuid OR face_b = ${alice.faceIds[2]}::uuid`;
    expect(n).toBe(0);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM cannot_links`)[0].n).toBe(before - 2);
  });
});
