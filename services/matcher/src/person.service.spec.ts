import { GlimpseError } from '@glimpse/platform';
import type { Person } from '@glimpse/contracts';
import type { CannotLinkRepository } from './cannot-link.repository';
import type { Clock } from './clock';
import type { Database, Tx } from './database/database';
import type { ErasureService } from './erasure.service';
import type { EventRelay } from './events/event-relay';
import type { OutboxEvent, OutboxRepository } from './events/outbox.repository';
import type { FaceRepository, NearestFace } from './face.repository';
import type { PersonRepository } from './person.repository';
import { PersonService, type PersonsConfig } from './person.service';
import type { SightingRepository } from './sighting.repository';
import { strictMock } from '@glimpse/testing';

const TX = { tx: 'tx' } as unknown as Tx;
const NOW = new Date('2026-11-28T12:00:00.000Z');
const CONFIG: PersonsConfig = {
  THRESHOLD: 0.6,
  HNSW_EF_SEARCH: 100,
  ENROLL_MIN_FACE_PX: 60,
  ENROLL_MIN_SHARPNESS: 20,
  RETENTION_UNNAMED_DAYS: 0,
  RETENTION_INTERVAL_MS: 86_400_000,
};
const ALICE = { id: '11111111-1111-4111-8111-111111111111', number: 1, name: 'Alice', version: 3 };
const BOB = { id: '22222222-2222-4222-8222-222222222222', number: 2, name: null, version: 1 };
const NEW = { id: '66666666-6666-4666-8666-666666666666', number: 7, name: null };
const FACE = '33333333-3333-4333-8333-333333333333';
const FACE2 = '34333333-3333-4333-8333-333333333333';
const ALIAS = '55555555-5555-4555-8555-555555555555';
const CROP = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

const summary = (p: { id: string; number: number; name: string | null }, faceCount = 1): Person => ({
  ...p,
  faceCount,
  createdAt: NOW.toISOString(),
  lastSeenAt: NOW.toISOString(),
  coverFaceId: FACE,
});
const enc = (x: number) => Array.from({ length: 128 }, (_, i) => (i === 0 ? x : 0));
const enrollFace = (faceWidth = 100, sharpness = 80) => ({
  box: { x: 0, y: 0, width: faceWidth, height: faceWidth },
  encoding: enc(0),
  crop: CROP.toString('base64'),
  quality: { faceWidth, sharpness },
});

function setup(config: Partial<PersonsConfig> = {}) {
  const db = strictMock<Database>('db', { transaction: jest.fn((fn: (tx: Tx) => unknown) => fn(TX)) as never });
  const faces = strictMock<FaceRepository>('faces', {
    lockForMatching: jest.fn().mockResolvedValue(undefined),
    find: jest.fn(),
    moveTo: jest.fn().mockResolvedValue(undefined),
    countOf: jest.fn(),
    nearest: jest.fn().mockResolvedValue([]),
    insert: jest.fn().mockResolvedValueOnce(FACE).mockResolvedValueOnce(FACE2),
    crop: jest.fn(),
    list: jest.fn(),
  });
  const persons = strictMock<PersonRepository>('persons', {
    find: jest.fn(async (_tx, id: string) => [ALICE, BOB].find((p) => p.id === id) ?? null),
    create: jest.fn().mockResolvedValue(NEW),
    touch: jest.fn().mockResolvedValue(undefined),
    rename: jest.fn().mockResolvedValue(4),
    bump: jest.fn().mockResolvedValue(5),
    merge: jest.fn(),
    aliases: jest.fn().mockResolvedValue([]),
    delete: jest.fn(),
    summary: jest.fn(async (id: string) => summary([ALICE, BOB, NEW].find((p) => p.id === id)!)),
    list: jest.fn(),
    get: jest.fn(),
    unnamedNotSeenSince: jest.fn(),
  });
  const sightings = strictMock<SightingRepository>('sightings', {
    forgetBestFace: jest.fn().mockResolvedValue(undefined),
  });
  const outbox = strictMock<OutboxRepository>('outbox', {
    add: jest.fn().mockResolvedValue(undefined),
    erase: jest.fn().mockResolvedValue(undefined),
  });
  const relay = strictMock<EventRelay>('relay', { kick: jest.fn() });
  const erasure = strictMock<ErasureService>('erasure', { schedule: jest.fn() });
  const clock = strictMock<Clock>('clock', { now: jest.fn(() => NOW) });
  const links = strictMock<CannotLinkRepository>('links', {
    between: jest.fn().mockResolvedValue(null),
    forbiddenPersons: jest.fn().mockResolvedValue(new Set()),
    linkFaceToPerson: jest.fn().mockResolvedValue(1),
    linkPersons: jest.fn().mockResolvedValue(4),
  });
  const service = new PersonService(
    { ...CONFIG, ...config },
    db,
    faces,
    persons,
    sightings,
    outbox,
    relay,
    erasure,
    clock,
    links,
  );
  /** Every outbox write in order, erasures included, as [kind, id] pairs. */
  const writes = () =>
    [
      ...outbox.add.mock.invocationCallOrder.map((o, i) => [o, 'add', i] as const),
      ...outbox.erase.mock.invocationCallOrder.map((o, i) => [o, 'erase', i] as const),
    ]
      .sort((a, b) => a[0] - b[0])
      .flatMap(([, kind, i]) =>
        kind === 'add'
          ? (outbox.add.mock.calls[i][1] as OutboxEvent[]).map((e) => ['event', e.eventId])
          : [['erase', (outbox.erase.mock.calls[i][1] as string[]).join(',')]],
      );
  return { service, db, faces, persons, sightings, outbox, relay, erasure, links, writes };
}
const notFound = expect.objectContaining({ name: 'GlimpseError', code: 'NOT_FOUND' });

describe('PersonService.rename', () => {
  it('renames under the write lock and writes person.renamed with the previous name', async () => {
    const { service, faces, persons, outbox, relay } = setup();
    await expect(service.rename({ id: ALICE.id, name: 'Alicia' })).resolves.toMatchObject({ id: ALICE.id });
    expect(faces.lockForMatching).toHaveBeenCalledWith(TX);
    expect(persons.rename).toHaveBeenCalledWith(TX, ALICE.id, 'Alicia');
    const [[, [event]]] = outbox.add.mock.calls;
    expect(event).toMatchObject({
      eventId: `person.renamed:${ALICE.id}:4`,
      subject: `glimpse.events.person.renamed.${ALICE.id}`,
    });
    expect(event.payload.data).toEqual({
      personId: ALICE.id,
      personNumber: 1,
      personName: 'Alicia',
      previousName: 'Alice',
    });
    expect(relay.kick).toHaveBeenCalled();
  });

  it('writes nothing when the name does not change, and NOT_FOUND for a stranger', async () => {
    const { service, persons, outbox } = setup();
    await service.rename({ id: ALICE.id, name: 'Alice' });
    expect(persons.rename).not.toHaveBeenCalled();
    expect(outbox.add).toHaveBeenCalledWith(TX, []);
    await expect(service.rename({ id: NEW.id, name: 'X' })).rejects.toEqual(notFound);
  });
});

describe('PersonService.merge', () => {
  it('merges the source into the target and writes person.merged on the target', async () => {
    const { service, persons, outbox } = setup();
    persons.merge.mockResolvedValue({ faces: 3, sightings: 2, version: 4, name: 'Alice' });
    await expect(service.merge({ targetId: ALICE.id, sourceId: BOB.id })).resolves.toEqual({
      person: summary(ALICE),
      sourceId: BOB.id,
      movedFaces: 3,
      movedSightings: 2,
    });
    expect(persons.merge).toHaveBeenCalledWith(TX, ALICE, BOB);
    const [[, [event]]] = outbox.add.mock.calls;
    expect(event.eventId).toBe(`person.merged:${ALICE.id}:4`);
    expect(event.payload.data).toMatchObject({
      personId: ALICE.id,
      sourceId: BOB.id,
      sourceNumber: 2,
      movedFaces: 3,
      movedSightings: 2,
    });
  });

  it('is NOT_FOUND when either person is missing', async () => {
    const { service, persons } = setup();
    await expect(service.merge({ targetId: ALICE.id, sourceId: NEW.id })).rejects.toEqual(notFound);
    await expect(service.merge({ targetId: NEW.id, sourceId: ALICE.id })).rejects.toEqual(notFound);
    expect(persons.merge).not.toHaveBeenCalled();
  });
});

describe('PersonService.moveFace', () => {
  const face = { id: FACE, personId: ALICE.id, source: 'cam-1', capturedAt: new Date('2026-11-28T11:00:00Z') };

  it('moves a face to a new person: person.created (face-move) and face.moved, the old person keeps the rest', async () => {
    const { service, faces, persons, sightings, erasure, writes } = setup();
    faces.find.mockResolvedValue(face);
    faces.countOf.mockResolvedValue(2);
    await expect(service.moveFace({ faceId: FACE, toPersonId: null })).resolves.toEqual({
      faceId: FACE,
      fromPersonId: ALICE.id,
      person: summary(NEW),
      createdPerson: true,
      fromPersonDeleted: false,
    });
    expect(persons.create).toHaveBeenCalledWith(TX, face.capturedAt);
    expect(faces.moveTo).toHaveBeenCalledWith(TX, FACE, NEW.id);
    expect(sightings.forgetBestFace).toHaveBeenCalledWith(TX, FACE);
    expect(persons.bump.mock.calls.map(([, id]) => id)).toEqual([NEW.id, ALICE.id]);
    expect(writes()).toEqual([
      ['event', `person.created:${NEW.id}`],
      ['event', `face.moved:${FACE}:${NEW.id}.5`],
    ]);
    expect(erasure.schedule).not.toHaveBeenCalled();
  });

  it('erases the person the last face moved away from', async () => {
    const { service, faces, persons, erasure, writes } = setup();
    faces.find.mockResolvedValue({ ...face, personId: BOB.id });
    faces.countOf.mockResolvedValue(0);
    persons.delete.mockResolvedValue({ deletedFaces: 0 });
    const reply = await service.moveFace({ faceId: FACE, toPersonId: ALICE.id });
    expect(reply).toMatchObject({ createdPerson: false, fromPersonDeleted: true, person: { id: ALICE.id } });
    expect(persons.delete).toHaveBeenCalledWith(TX, BOB.id);
    expect(writes()).toEqual([
      ['event', `face.moved:${FACE}:${ALICE.id}.5`],
      ['erase', BOB.id],
      ['event', `person.deleted:${BOB.id}`],
    ]);
    expect(erasure.schedule).toHaveBeenCalled();
  });

  it('does nothing when the face already belongs there, and NOT_FOUND for unknown faces or persons', async () => {
    const { service, faces } = setup();
    faces.find.mockResolvedValueOnce(face);
    await expect(service.moveFace({ faceId: FACE, toPersonId: ALICE.id })).resolves.toMatchObject({
      createdPerson: false,
      fromPersonDeleted: false,
    });
    expect(faces.moveTo).not.toHaveBeenCalled();
    faces.find.mockResolvedValueOnce(null);
    await expect(service.moveFace({ faceId: FACE, toPersonId: null })).rejects.toEqual(notFound);
    faces.find.mockResolvedValueOnce(face);
    await expect(service.moveFace({ faceId: FACE, toPersonId: NEW.id })).rejects.toEqual(notFound);
  });
});

describe('PersonService.enroll', () => {
  it.each([
    [enrollFace(42, 200), 'face too small: 42 px wide, need at least 60'],
    [enrollFace(100, 7.26), 'face too blurred: sharpness 7.3, need at least 20'],
  ])('refuses a low-quality face with the reason before touching the database', async (f, message) => {
    const { service, db } = setup();
    const err = await service.enroll({ name: 'X', faces: [f] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GlimpseError);
    expect(err).toMatchObject({ code: 'INVALID_IMAGE', message });
    expect(db.transaction).not.toHaveBeenCalled();
  });

  it('names the bad face among several, and honours configured thresholds', async () => {
    const { service } = setup({ ENROLL_MIN_FACE_PX: 120 });
    await expect(service.enroll({ faces: [enrollFace(150), enrollFace(100)] })).rejects.toMatchObject({
      message: 'face 2 of 2: face too small: 100 px wide, need at least 120',
    });
  });

  it('creates a named person with every face, and reports other persons within the threshold', async () => {
    const { service, faces, persons, outbox } = setup();
    const near = (personId: string, distance: number): NearestFace => ({
      faceId: FACE,
      personId,
      personNumber: 2,
      personName: null,
      distance,
    });
    faces.nearest
      .mockResolvedValueOnce([near(BOB.id, 0.5), near(BOB.id, 0.55)])
      .mockResolvedValueOnce([near(NEW.id, 0.1), near(BOB.id, 0.4), near(ALIAS, 0.7)]);
    const reply = await service.enroll({ name: 'Carol', faces: [enrollFace(), enrollFace()] });

    expect(persons.create).toHaveBeenCalledWith(TX, NOW, 'Carol');
    expect(faces.insert).toHaveBeenCalledTimes(2);
    expect(faces.insert.mock.calls[0][1]).toMatchObject({
      personId: NEW.id,
      source: 'enroll',
      frameSeq: 0,
      capturedAt: NOW,
    });
    // Nearest faces are looked up before each insert, so a face never finds itself; the new person is skipped.
    expect(faces.nearest.mock.invocationCallOrder[1]).toBeLessThan(faces.insert.mock.invocationCallOrder[1]);
    expect(reply).toMatchObject({ created: true, faceIds: [FACE, FACE2] });
    expect(reply.similarPersons).toEqual([
      { personId: BOB.id, personNumber: 2, personName: null, distance: 0.4, similarity: expect.any(Number) },
    ]);
    const [[, [event]]] = outbox.add.mock.calls;
    expect(event.payload).toMatchObject({
      type: 'person.created',
      data: { origin: 'enrollment', source: 'enroll', faceIds: [FACE, FACE2] },
    });
  });

  it('adds faces to an existing person with person.enrolled, and NOT_FOUND for a stranger', async () => {
    const { service, persons, outbox } = setup();
    const reply = await service.enroll({ personId: ALICE.id, faces: [enrollFace()] });
    expect(reply).toMatchObject({ created: false, faceIds: [FACE], person: { id: ALICE.id } });
    expect(persons.create).not.toHaveBeenCalled();
    const [[, [event]]] = outbox.add.mock.calls;
    expect(event.eventId).toBe(`person.enrolled:${ALICE.id}:5`);
    await expect(service.enroll({ personId: NEW.id, faces: [enrollFace()] })).rejects.toEqual(notFound);
  });
});

describe('PersonService.delete', () => {
  it('erases the person and everyone merged into them, then writes person.deleted, and compacts', async () => {
    const { service, persons, outbox, erasure, writes } = setup();
    persons.aliases.mockResolvedValue([ALIAS]);
    persons.delete.mockResolvedValue({ deletedFaces: 4 });
    await expect(service.delete({ id: ALICE.id })).resolves.toEqual({ id: ALICE.id, deletedFaces: 4 });
    expect(outbox.erase).toHaveBeenCalledWith(TX, [ALICE.id, ALIAS], `person.erase:${ALICE.id}`);
    expect(writes()).toEqual([
      ['erase', `${ALICE.id},${ALIAS}`],
      ['event', `person.deleted:${ALICE.id}`],
    ]);
    const deleted = outbox.add.mock.calls.flatMap(([, e]) => e).find((e) => e.payload.type === 'person.deleted')!;
    expect(deleted.payload.data).toEqual({ personId: ALICE.id, reason: 'request', deletedFaces: 4 });
    expect(erasure.schedule).toHaveBeenCalled();
  });

  it('is NOT_FOUND for a stranger and then erases nothing', async () => {
    const { service, persons, outbox, erasure } = setup();
    persons.delete.mockResolvedValue(null);
    await expect(service.delete({ id: NEW.id })).rejects.toEqual(notFound);
    expect(outbox.erase).not.toHaveBeenCalled();
    expect(erasure.schedule).not.toHaveBeenCalled();
  });
});

describe('PersonService.applyRetention', () => {
  it('does nothing when retention is off', async () => {
    const { service, persons } = setup();
    await expect(service.applyRetention()).resolves.toBe(0);
    expect(persons.unnamedNotSeenSince).not.toHaveBeenCalled();
  });

  it('deletes each unnamed person not seen for the configured days, with reason retention', async () => {
    const { service, persons, outbox, erasure, db } = setup({ RETENTION_UNNAMED_DAYS: 30 });
    persons.unnamedNotSeenSince.mockResolvedValue([BOB.id, NEW.id]);
    persons.delete.mockResolvedValueOnce({ deletedFaces: 2 }).mockResolvedValueOnce(null); // gone meanwhile
    await expect(service.applyRetention()).resolves.toBe(1);
    expect(persons.unnamedNotSeenSince).toHaveBeenCalledWith(new Date(NOW.getTime() - 30 * 86_400_000), 200);
    expect(db.transaction).toHaveBeenCalledTimes(2); // one per person: matching goes on in between
    const deleted = outbox.add.mock.calls.flatMap(([, e]) => e).filter((e) => e.payload.type === 'person.deleted');
    expect(deleted.map((e) => e.payload.data)).toEqual([{ personId: BOB.id, reason: 'retention', deletedFaces: 2 }]);
    expect(erasure.schedule).toHaveBeenCalledTimes(1);
  });
});

describe('PersonService catalogue', () => {
  it('passes list filters through as dates and pages', async () => {
    const { service, persons } = setup();
    persons.list.mockResolvedValue({ items: [], total: 7 });
    await expect(
      service.list({ page: 2, pageSize: 5, named: false, seenSince: '2026-11-01T00:00:00.000Z' }),
    ).resolves.toEqual({
      items: [],
      total: 7,
      page: 2,
      pageSize: 5,
    });
    expect(persons.list).toHaveBeenCalledWith({
      page: 2,
      pageSize: 5,
      named: false,
      seenSince: new Date('2026-11-01T00:00:00.000Z'),
      seenBefore: undefined,
    });
  });

  it('maps unknown persons and faces to NOT_FOUND, and returns crops as base64', async () => {
    const { service, persons, faces } = setup();
    persons.get.mockResolvedValue(null);
    faces.crop.mockResolvedValueOnce(null).mockResolvedValueOnce(new Uint8Array(CROP));
    await expect(service.get({ id: NEW.id })).rejects.toEqual(notFound);
    await expect(service.faceCrop({ id: FACE })).rejects.toEqual(notFound);
    await expect(service.faceCrop({ id: FACE })).resolves.toEqual({ id: FACE, jpeg: CROP.toString('base64') });
  });
});

const conflict = expect.objectContaining({ name: 'GlimpseError', code: 'CONFLICT' });

describe('PersonService cannot-links', () => {
  const face = { id: FACE, personId: ALICE.id, source: 'cam-1', capturedAt: new Date('2026-11-28T11:00:00Z') };

  it('"not this person" moves the face to a new person, links it with the faces left behind and writes face.rejected', async () => {
    const { service, faces, links, writes } = setup();
    faces.find.mockResolvedValue(face);
    faces.countOf.mockResolvedValue(3);
    links.linkFaceToPerson.mockResolvedValue(2);
    await expect(service.rejectFace({ faceId: FACE, personId: ALICE.id })).resolves.toEqual({
      faceId: FACE,
      fromPersonId: ALICE.id,
      person: summary(NEW),
      cannotLinks: 2,
    });
    expect(faces.moveTo).toHaveBeenCalledWith(TX, FACE, NEW.id);
    // linked after the move, so the face is not linked with itself and the faces left behind are what remains
    expect(links.linkFaceToPerson).toHaveBeenCalledWith(TX, FACE, ALICE.id);
    expect(faces.moveTo.mock.invocationCallOrder[0]).toBeLessThan(links.linkFaceToPerson.mock.invocationCallOrder[0]);
    expect(writes()).toEqual([
      ['event', `person.created:${NEW.id}`],
      ['event', `face.moved:${FACE}:${NEW.id}.5`],
      ['event', `face.rejected:${FACE}:${NEW.id}.5`],
    ]);
  });

  it("refuses to reject a face from a person it no longer belongs to, or a person's only face, writing nothing", async () => {
    const { service, faces, links, outbox } = setup();
    faces.find.mockResolvedValue(face);
    await expect(service.rejectFace({ faceId: FACE, personId: BOB.id })).rejects.toEqual(conflict);
    faces.countOf.mockResolvedValue(1);
    await expect(service.rejectFace({ faceId: FACE, personId: ALICE.id })).rejects.toEqual(conflict);
    faces.find.mockResolvedValue(null);
    await expect(service.rejectFace({ faceId: FACE, personId: ALICE.id })).rejects.toEqual(notFound);
    expect(faces.moveTo).not.toHaveBeenCalled();
    expect(links.linkFaceToPerson).not.toHaveBeenCalled();
    expect(outbox.add).not.toHaveBeenCalled();
  });

  it('refuses to move a face back into a person it was rejected from', async () => {
    const { service, faces, links } = setup();
    faces.find.mockResolvedValue({ ...face, personId: BOB.id });
    links.forbiddenPersons.mockResolvedValue(new Set([ALICE.id]));
    await expect(service.moveFace({ faceId: FACE, toPersonId: ALICE.id })).rejects.toEqual(conflict);
    expect(links.forbiddenPersons).toHaveBeenCalledWith({ faceIds: [FACE] }, TX);
    expect(faces.moveTo).not.toHaveBeenCalled();
  });

  it('refuses to merge persons holding a cannot-link between their faces', async () => {
    const { service, persons, links } = setup();
    links.between.mockResolvedValue({ faceA: FACE, faceB: FACE2 });
    await expect(service.merge({ targetId: ALICE.id, sourceId: BOB.id })).rejects.toEqual(conflict);
    expect(links.between).toHaveBeenCalledWith(TX, ALICE.id, BOB.id);
    expect(persons.merge).not.toHaveBeenCalled();
  });

  it('"different people" links the persons, NOT_FOUND when one is unknown', async () => {
    const { service, links } = setup();
    await expect(service.markDifferent({ personIds: [ALICE.id, BOB.id] })).resolves.toEqual({
      personIds: [ALICE.id, BOB.id],
      cannotLinks: 4,
    });
    expect(links.linkPersons).toHaveBeenCalledWith(TX, [ALICE.id, BOB.id]);
    links.linkPersons.mockClear();
    await expect(service.markDifferent({ personIds: [ALICE.id, NEW.id] })).rejects.toEqual(notFound);
    expect(links.linkPersons).not.toHaveBeenCalled();
  });
});
