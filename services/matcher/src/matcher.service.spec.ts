import { euclidean, RecognitionEvent, similarity, type MatchFaces } from '@glimpse/contracts';
import { Logger } from '@nestjs/common';
import { GlimpseError, type Bus } from '@glimpse/platform';
import type { Database, Tx } from './database/database';
import type { FaceRepository, NearestFace, NewFace } from './face.repository';
import { MatcherService } from './matcher.service';
import type { PersonRepository } from './person.repository';
import { strictMock } from './testing/strict-mock';

const TX = { tx: 'the one transaction' } as unknown as Tx;
const CONFIG = { THRESHOLD: 0.6, MATCH_K: 1, HNSW_EF_SEARCH: 100 };
const ALICE = { id: '11111111-1111-4111-8111-111111111111', number: 1, name: 'Alice' };
const NEW_ID = '22222222-2222-4222-8222-222222222222';
const FACE_ID = '33333333-3333-4333-8333-333333333333';
const CROP = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

const enc = (x: number) => Array.from({ length: 128 }, (_, i) => (i === 0 ? x : 0));
const box = { x: 1, y: 2, width: 30, height: 40 };
const request = (over: Partial<MatchFaces.Request> = {}, encodings = [enc(0)]): MatchFaces.Request => ({
  frame: { source: 'cam-1', seq: 7, capturedAt: '2026-11-28T10:00:00.000Z', width: 640, height: 480 },
  store: true,
  faces: encodings.map((encoding) => ({ box, encoding, crop: CROP.toString('base64') })),
  ...over,
});
const near = (distance: number): NearestFace => ({
  faceId: 'f0000000-0000-4000-8000-000000000000',
  personId: ALICE.id,
  personNumber: ALICE.number,
  personName: ALICE.name,
  distance,
});

function setup(nearest: NearestFace[] = []) {
  const db = strictMock<Database>('db', { transaction: jest.fn((fn: (tx: Tx) => unknown) => fn(TX)) as never });
  const faces = strictMock<FaceRepository>('faces', {
    lockForMatching: jest.fn().mockResolvedValue(undefined),
    nearest: jest.fn().mockResolvedValue(nearest),
    insert: jest.fn().mockResolvedValue(FACE_ID),
  });
  const persons = strictMock<PersonRepository>('persons', {
    create: jest.fn().mockResolvedValue({ id: NEW_ID, number: 2, name: null }),
    touch: jest.fn().mockResolvedValue(undefined),
  });
  const bus = strictMock<Bus>('bus', { publish: jest.fn() });
  const service = new MatcherService(CONFIG, db, faces, persons, bus);
  return { service, db, faces, persons, bus };
}

afterEach(() => jest.restoreAllMocks());

describe('MatcherService.matchFaces', () => {
  it('assigns a face within the threshold to the nearest person and stores it', async () => {
    const { service, faces, persons, bus } = setup([near(0.3)]);
    const req = request();
    const { faces: out } = await service.matchFaces(req);

    expect(out).toEqual([
      { faceId: FACE_ID, box, personId: ALICE.id, personNumber: 1, personName: 'Alice', isNew: false, distance: 0.3, similarity: 97 },
    ]);
    expect(faces.lockForMatching).toHaveBeenCalledWith(TX);
    expect(faces.nearest).toHaveBeenCalledWith(TX, req.faces[0].encoding, 1, 100);
    expect(persons.touch).toHaveBeenCalledWith(TX, ALICE.id, new Date(req.frame.capturedAt));
    const stored: NewFace = faces.insert.mock.calls[0][1];
    expect(stored).toMatchObject({ personId: ALICE.id, box, source: 'cam-1', frameSeq: 7, capturedAt: new Date(req.frame.capturedAt) });
    expect(Buffer.from(stored.crop)).toEqual(CROP);
    expect(bus.publish).toHaveBeenCalledWith(RecognitionEvent.contract, ['cam-1'], { frame: req.frame, faces: out });
  });

  it.each([
    ['nothing is stored yet', []],
    ['the nearest face is too far', [near(0.7)]],
    ['the nearest face is exactly at the threshold', [near(0.6)]],
  ])('creates a new person when %s', async (_, nearest) => {
    const { service, persons, faces } = setup(nearest);
    const { faces: out } = await service.matchFaces(request());

    expect(out).toEqual([
      { faceId: FACE_ID, box, personId: NEW_ID, personNumber: 2, personName: null, isNew: true, distance: null, similarity: null },
    ]);
    expect(persons.create).toHaveBeenCalledWith(TX, new Date('2026-11-28T10:00:00.000Z'));
    expect(persons.touch).not.toHaveBeenCalled();
    expect(faces.insert.mock.calls[0][1].personId).toBe(NEW_ID);
  });

  it('lets the request override the threshold, both ways, and scores against it', async () => {
    const strict = setup([near(0.5)]);
    const [a] = (await strict.service.matchFaces(request({ threshold: 0.4 }))).faces;
    expect(a.isNew).toBe(true);

    const lenient = setup([near(0.7)]);
    const [b] = (await lenient.service.matchFaces(request({ threshold: 0.8 }))).faces;
    expect(b).toMatchObject({ isNew: false, personId: ALICE.id, distance: 0.7, similarity: similarity(0.7, 0.8) });
  });

  it('with store=false only matches: no lock, no writes, no event', async () => {
    const { service, faces, persons, bus } = setup();
    faces.nearest.mockResolvedValueOnce([near(0.2)]).mockResolvedValueOnce([near(0.9)]);
    const { faces: out } = await service.matchFaces(request({ store: false }, [enc(0), enc(5)]));

    expect(out).toEqual([
      { faceId: null, box, personId: ALICE.id, personNumber: 1, personName: 'Alice', isNew: false, distance: 0.2, similarity: similarity(0.2) },
      { faceId: null, box, personId: null, personNumber: null, personName: null, isNew: true, distance: null, similarity: null },
    ]);
    expect(faces.lockForMatching).not.toHaveBeenCalled();
    expect(faces.insert).not.toHaveBeenCalled();
    expect(persons.create).not.toHaveBeenCalled();
    expect(persons.touch).not.toHaveBeenCalled();
    expect(bus.publish).not.toHaveBeenCalled();
  });

  it('matches the second face of a new person in one batch against the first, in one transaction', async () => {
    const { service, db, faces, persons } = setup();
    // A tiny in-memory store behind the repository seam: what was inserted is searchable next.
    const stored: Array<{ id: string; personId: string; encoding: readonly number[] }> = [];
    faces.insert.mockImplementation(async (_tx, f: NewFace) => {
      stored.push({ id: `f${stored.length}`, personId: f.personId, encoding: f.encoding });
      return FACE_ID;
    });
    faces.nearest.mockImplementation(async (_tx, e: readonly number[]) =>
      stored
        .map((s) => ({ faceId: s.id, personId: s.personId, personNumber: 2, personName: null, distance: euclidean(e, s.encoding) }))
        .sort((x, y) => x.distance - y.distance)
        .slice(0, 1),
    );
    const { faces: out } = await service.matchFaces(request({}, [enc(0), enc(0.1), enc(3)]));

    expect(db.transaction).toHaveBeenCalledTimes(1);
    expect(faces.nearest.mock.calls.every(([tx]) => tx === TX)).toBe(true);
    expect(out.map((f) => [f.isNew, f.personId])).toEqual([
      [true, NEW_ID],
      [false, NEW_ID],
      [true, NEW_ID], // the mock hands out the same new id; what matters is isNew
    ]);
    expect(out[1].distance).toBeCloseTo(0.1);
    expect(persons.create).toHaveBeenCalledTimes(2);
  });

  it('does nothing for a frame without faces', async () => {
    const { service, db, bus } = setup();
    await expect(service.matchFaces(request({}, []))).resolves.toEqual({ faces: [] });
    expect(db.transaction).not.toHaveBeenCalled();
    expect(bus.publish).not.toHaveBeenCalled();
  });

  it('still answers when the event cannot be published, since the faces are stored', async () => {
    const { service, bus } = setup([near(0.1)]);
    bus.publish.mockImplementation(() => {
      throw new Error('CONNECTION_DRAINING');
    });
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await expect(service.matchFaces(request())).resolves.toMatchObject({ faces: [{ faceId: FACE_ID, isNew: false }] });
    expect(Logger.prototype.warn).toHaveBeenCalledWith(expect.stringContaining('not published'));
  });

  it('publishes nothing when the transaction fails', async () => {
    const { service, faces, bus } = setup([near(0.1)]);
    faces.insert.mockRejectedValue(new Error('disk full'));
    await expect(service.matchFaces(request())).rejects.toThrow('disk full');
    expect(bus.publish).not.toHaveBeenCalled();
  });
});

describe('MatcherService catalogue', () => {
  function catalogue() {
    const db = strictMock<Database>('db');
    const faces = strictMock<FaceRepository>('faces', { crop: jest.fn() });
    const persons = strictMock<PersonRepository>('persons', { list: jest.fn(), get: jest.fn(), delete: jest.fn() });
    return { service: new MatcherService(CONFIG, db, faces, persons, strictMock<Bus>('bus')), faces, persons };
  }
  const notFound = expect.objectContaining({ name: 'GlimpseError', code: 'NOT_FOUND' });

  it('pages the person list', async () => {
    const { service, persons } = catalogue();
    persons.list.mockResolvedValue({ items: [], total: 7 });
    await expect(service.listPersons({ page: 2, pageSize: 5 })).resolves.toEqual({ items: [], total: 7, page: 2, pageSize: 5 });
    expect(persons.list).toHaveBeenCalledWith(2, 5);
  });

  it('maps unknown persons and faces to NOT_FOUND', async () => {
    const { service, persons, faces } = catalogue();
    persons.get.mockResolvedValue(null);
    persons.delete.mockResolvedValue(null);
    faces.crop.mockResolvedValue(null);
    await expect(service.getPerson({ id: NEW_ID })).rejects.toEqual(notFound);
    await expect(service.deletePerson({ id: NEW_ID })).rejects.toEqual(notFound);
    await expect(service.faceCrop({ id: FACE_ID })).rejects.toBeInstanceOf(GlimpseError);
    await expect(service.faceCrop({ id: FACE_ID })).rejects.toEqual(notFound);
  });

  it('returns the crop as base64 and the number of deleted faces', async () => {
    const { service, persons, faces } = catalogue();
    faces.crop.mockResolvedValue(new Uint8Array(CROP));
    persons.delete.mockResolvedValue({ deletedFaces: 3 });
    await expect(service.faceCrop({ id: FACE_ID })).resolves.toEqual({ id: FACE_ID, jpeg: CROP.toString('base64') });
    await expect(service.deletePerson({ id: ALICE.id })).resolves.toEqual({ id: ALICE.id, deletedFaces: 3 });
  });
});
