import { euclidean, RecognitionEvent, similarity, type FaceQuality, type MatchFaces } from '@glimpse/contracts';
import { Logger } from '@nestjs/common';
import type { Bus } from '@glimpse/platform';
import type { Clock } from './clock';
import type { Database, Tx } from './database/database';
import type { EventRelay } from './events/event-relay';
import type { OutboxEvent, OutboxRepository } from './events/outbox.repository';
import { Decider, type DeciderConfig } from './decision/decider';
import { NoMatchConstraints } from './decision/constraints';
import type { FaceRepository, NearestFace, NewFace } from './face.repository';
import { ABANDONED, type FrameLedgerRepository } from './frame-ledger.repository';
import { MatcherService } from './matcher.service';
import type { PersonRepository } from './person.repository';
import type { SightingService, StreamFace } from './sighting.service';
import { faceOfNobody, strictMock } from '@glimpse/testing';

const TX = { tx: 'the one transaction' } as unknown as Tx;
/** The seed's rule: these tests pin its behaviour (the person rule: describe blocks further down). */
const CONFIG: DeciderConfig = {
  MATCH_RULE: 'nearest',
  THRESHOLD: 0.6,
  MATCH_K: 1,
  HNSW_EF_SEARCH: 100,
  MATCH_CANDIDATES: 8,
  MATCH_PERSON_FACES: 50,
  MATCH_DISTANCE: 0.5,
  MATCH_DISTANCE_SLOPE: 0.03,
  MATCH_REFERENCE_PERSONS: 100,
  MATCH_RATIO: 0.9,
  MATCH_AMBIGUOUS: 'new',
  MATCH_UNSURE_BAND: 0.05,
  MATCH_MIN_FACE_PX: 40,
  MATCH_MIN_SHARPNESS: 5,
  MATCH_MAX_YAW: 0.35,
};
const NOW = new Date('2026-11-28T10:00:05.000Z');
const ALICE = { id: '11111111-1111-4111-8111-111111111111', number: 1, name: 'Alice' };
const NEW_ID = '22222222-2222-4222-8222-222222222222';
const FACE_ID = '33333333-3333-4333-8333-333333333333';
const CROP = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
const SIGHTING_EVENT = { eventId: 'sighting.started:s1', subject: 's', personId: ALICE.id, payload: {} } as OutboxEvent;

const enc = (x: number) => Array.from({ length: 128 }, (_, i) => (i === 0 ? x : 0));
const box = { x: 1, y: 2, width: 30, height: 40 };
/** The face of the person a frame created: stored as FACE_ID, person number 2. */
const newPersonFace = {
  faceId: FACE_ID,
  box,
  personId: NEW_ID,
  personNumber: 2,
  personName: null,
  isNew: true,
  distance: null,
  similarity: null,
};
const request = (
  over: Partial<MatchFaces.Request> = {},
  encodings = [enc(0)],
  source = 'upload',
): MatchFaces.Request => ({
  frame: { source, seq: 7, capturedAt: '2026-11-28T10:00:00.000Z', width: 640, height: 480 },
  store: true,
  faces: encodings.map((encoding) => ({ box, encoding, crop: CROP.toString('base64') })),
  ...over,
});
const near = (distance: number, personId = ALICE.id, faceId = 'f0000000-0000-4000-8000-000000000000'): NearestFace => ({
  faceId,
  personId,
  personNumber: personId === ALICE.id ? 1 : 9,
  personName: personId === ALICE.id ? 'Alice' : null,
  distance,
});

function setup(
  nearest: NearestFace[] = [],
  recorded: MatchFaces.Reply | typeof ABANDONED | null = null,
  config: DeciderConfig = CONFIG,
) {
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
  // The sighting service keeps (stores) the face it is given, like a sighting's first frame.
  const sightings = strictMock<SightingService>('sightings', {
    track: jest.fn(async (_tx: Tx, f: StreamFace) => ({ faceId: await f.store(), events: [SIGHTING_EVENT] })) as never,
  });
  const outbox = strictMock<OutboxRepository>('outbox', { add: jest.fn().mockResolvedValue(undefined) });
  const relay = strictMock<EventRelay>('relay', { kick: jest.fn() });
  const clock = strictMock<Clock>('clock', { now: jest.fn(() => NOW) });
  const bus = strictMock<Bus>('bus', { publish: jest.fn() });
  const ledger = strictMock<FrameLedgerRepository>('ledger', {
    find: jest.fn().mockResolvedValue(recorded),
    record: jest.fn().mockResolvedValue(undefined),
  });
  const decider = new Decider(config, faces, new NoMatchConstraints());
  const service = new MatcherService(config, db, faces, persons, sightings, outbox, relay, clock, bus, ledger, decider);
  return { service, db, faces, persons, sightings, outbox, relay, bus, ledger };
}
const addedEvents = (outbox: jest.Mocked<OutboxRepository>) => outbox.add.mock.calls.flatMap(([, events]) => events);

afterEach(() => jest.restoreAllMocks());

describe('MatcherService.matchFaces', () => {
  it('assigns a face within the threshold to the nearest person and stores it', async () => {
    const { service, faces, persons, bus, outbox, relay } = setup([near(0.3)]);
    const req = request();
    const { faces: out } = await service.matchFaces(req);

    expect(out).toEqual([
      {
        faceId: FACE_ID,
        box,
        personId: ALICE.id,
        personNumber: 1,
        personName: 'Alice',
        isNew: false,
        distance: 0.3,
        similarity: 97,
        decision: 'match',
      },
    ]);
    expect(faces.lockForMatching).toHaveBeenCalledWith(TX);
    expect(faces.nearest).toHaveBeenCalledWith(TX, req.faces[0].encoding, 1, 100);
    expect(persons.touch).toHaveBeenCalledWith(TX, ALICE.id, new Date(req.frame.capturedAt));
    const stored: NewFace = faces.insert.mock.calls[0][1];
    expect(stored).toMatchObject({
      personId: ALICE.id,
      box,
      source: 'upload',
      frameSeq: 7,
      capturedAt: new Date(req.frame.capturedAt),
    });
    expect(Buffer.from(stored.crop)).toEqual(CROP);
    expect(bus.publish).toHaveBeenCalledWith(RecognitionEvent.contract, ['upload'], { frame: req.frame, faces: out });
    expect(addedEvents(outbox)).toEqual([]); // a known face in an upload changes nothing events tell
    expect(relay.kick).not.toHaveBeenCalled();
  });

  it.each([
    ['nothing is stored yet', []],
    ['the nearest face is too far', [near(0.7)]],
    ['the nearest face is exactly at the threshold', [near(0.6)]],
  ])('creates a new person when %s, and writes person.created with the change', async (_, nearest) => {
    const { service, persons, faces, outbox, relay } = setup(nearest);
    const { faces: out } = await service.matchFaces(request());

    expect(out).toEqual([{ ...newPersonFace, decision: 'new' }]);
    expect(persons.create).toHaveBeenCalledWith(TX, new Date('2026-11-28T10:00:00.000Z'));
    expect(persons.touch).not.toHaveBeenCalled();
    expect(faces.insert.mock.calls[0][1].personId).toBe(NEW_ID);
    expect(outbox.add).toHaveBeenCalledWith(TX, [
      expect.objectContaining({ eventId: `person.created:${NEW_ID}`, personId: NEW_ID }),
    ]);
    expect(addedEvents(outbox)[0].payload).toMatchObject({
      type: 'person.created',
      occurredAt: NOW.toISOString(),
      data: { origin: 'recognition', source: 'upload', faceIds: [FACE_ID], cropUrl: `/api/v1/faces/${FACE_ID}/crop` },
    });
    expect(relay.kick).toHaveBeenCalledTimes(1);
  });

  it('hands stream faces to their sighting, with the crop score, and writes its events after person.created', async () => {
    const { service, sightings, faces, outbox } = setup();
    const req = request({}, [enc(0)], 'cam-1');
    req.faces[0].quality = { faceWidth: 30, sharpness: 50 };
    const { faces: out } = await service.matchFaces(req);

    expect(sightings.track).toHaveBeenCalledWith(
      TX,
      expect.objectContaining({
        person: { id: NEW_ID, number: 2, name: null },
        isNew: true,
        source: 'cam-1',
        score: 30 * 40 * 0.5,
      }),
      expect.any(Set),
    );
    expect(faces.insert).toHaveBeenCalledTimes(1);
    expect(out[0].faceId).toBe(FACE_ID);
    expect(addedEvents(outbox).map((e) => e.eventId)).toEqual([`person.created:${NEW_ID}`, 'sighting.started:s1']);
  });

  it('answers faceId null for a stream face its sighting did not keep', async () => {
    const { service, sightings, faces } = setup([near(0.2)]);
    sightings.track.mockResolvedValue({ faceId: null, events: [] });
    const { faces: out } = await service.matchFaces(request({}, [enc(0)], 'cam-1'));
    expect(out[0]).toMatchObject({ faceId: null, personId: ALICE.id, isNew: false });
    expect(faces.insert).not.toHaveBeenCalled();
  });

  it('counts two faces of one frame against one shared set of sightings', async () => {
    const { service, sightings } = setup([near(0.1)]);
    await service.matchFaces(request({}, [enc(0), enc(0.01)], 'cam-1'));
    const [a, b] = sightings.track.mock.calls;
    expect(a[2]).toBe(b[2]);
  });

  it('lets the request override the threshold, both ways, and scores against it', async () => {
    const strict = setup([near(0.5)]);
    const [a] = (await strict.service.matchFaces(request({ threshold: 0.4 }))).faces;
    expect(a.isNew).toBe(true);

    const lenient = setup([near(0.7)]);
    const [b] = (await lenient.service.matchFaces(request({ threshold: 0.8 }))).faces;
    expect(b).toMatchObject({ isNew: false, personId: ALICE.id, distance: 0.7, similarity: similarity(0.7, 0.8) });
  });

  it('with store=false only matches: no lock, no writes, no events', async () => {
    const { service, faces, persons, bus, sightings, outbox, relay } = setup();
    faces.nearest.mockResolvedValueOnce([near(0.2)]).mockResolvedValueOnce([near(0.9)]);
    const { faces: out } = await service.matchFaces(request({ store: false }, [enc(0), enc(5)], 'cam-1'));

    expect(out).toEqual([
      {
        faceId: null,
        box,
        personId: ALICE.id,
        personNumber: 1,
        personName: 'Alice',
        isNew: false,
        distance: 0.2,
        similarity: similarity(0.2),
        decision: 'match',
      },
      faceOfNobody(box, { isNew: true, decision: 'new' }),
    ]);
    expect(faces.lockForMatching).not.toHaveBeenCalled();
    expect(faces.insert).not.toHaveBeenCalled();
    expect(persons.create).not.toHaveBeenCalled();
    expect(persons.touch).not.toHaveBeenCalled();
    expect(sightings.track).not.toHaveBeenCalled();
    expect(addedEvents(outbox)).toEqual([]);
    expect(bus.publish).not.toHaveBeenCalled();
    expect(relay.kick).not.toHaveBeenCalled();
  });

  it('never gives two faces of one frame one person, even when alike: both are new, in one transaction', async () => {
    const { service, db, faces, persons } = setup();
    // A tiny in-memory store behind the repository seam: what was inserted is searchable next.
    const stored: Array<{ id: string; personId: string; encoding: readonly number[] }> = [];
    faces.insert.mockImplementation(async (_tx, f: NewFace) => {
      stored.push({ id: `f${stored.length}`, personId: f.personId, encoding: f.encoding });
      return FACE_ID;
    });
    faces.nearest.mockImplementation(async (_tx, e: readonly number[]) =>
      stored
        .map((s) => ({
          faceId: s.id,
          personId: s.personId,
          personNumber: 2,
          personName: null,
          distance: euclidean(e, s.encoding),
        }))
        .sort((x, y) => x.distance - y.distance)
        .slice(0, 1),
    );
    const { faces: out } = await service.matchFaces(request({}, [enc(0), enc(0.1), enc(3)]));

    expect(db.transaction).toHaveBeenCalledTimes(1);
    expect(faces.nearest.mock.calls.every(([tx]) => tx === TX)).toBe(true);
    expect(out.map((f) => f.decision)).toEqual(['new', 'new', 'new']);
    expect(persons.create).toHaveBeenCalledTimes(3);
  });

  it('gives two faces of one frame near one stored person that person once: the closer face', async () => {
    const { service, faces, persons } = setup();
    faces.nearest.mockResolvedValueOnce([near(0.4)]).mockResolvedValueOnce([near(0.3)]);
    const { faces: out } = await service.matchFaces(request({}, [enc(0), enc(1)]));
    expect(out.map((f) => [f.decision, f.personId])).toEqual([
      ['new', NEW_ID],
      ['match', ALICE.id],
    ]);
    expect(persons.create).toHaveBeenCalledTimes(1);
  });

  it('does nothing for a frame without faces', async () => {
    const { service, db, bus } = setup();
    await expect(service.matchFaces(request({}, []))).resolves.toEqual({ faces: [] });
    expect(db.transaction).not.toHaveBeenCalled();
    expect(bus.publish).not.toHaveBeenCalled();
  });

  it('still answers when the recognition event cannot be published, since the faces are stored', async () => {
    const { service, bus } = setup([near(0.1)]);
    bus.publish.mockImplementation(() => {
      throw new Error('CONNECTION_DRAINING');
    });
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await expect(service.matchFaces(request())).resolves.toMatchObject({ faces: [{ faceId: FACE_ID, isNew: false }] });
    expect(Logger.prototype.warn).toHaveBeenCalledWith(expect.stringContaining('not published'));
  });

  it('publishes nothing when the transaction fails', async () => {
    const { service, faces, bus, relay } = setup();
    faces.insert.mockRejectedValue(new Error('disk full'));
    await expect(service.matchFaces(request())).rejects.toThrow('disk full');
    expect(bus.publish).not.toHaveBeenCalled();
    expect(relay.kick).not.toHaveBeenCalled();
  });
});

describe('MatcherService.matchFaces with a frame id (retries)', () => {
  const FRAME_ID = 'frame_0123456789';
  const withId = (over: Partial<MatchFaces.Request> = {}) => {
    const req = request(over);
    return { ...req, frame: { ...req.frame, id: FRAME_ID } };
  };

  it('records the reply under the frame id in the transaction that stores the frame, after the lock', async () => {
    const { service, faces, ledger, outbox } = setup([near(0.3)]);
    const reply = await service.matchFaces(withId());

    expect(ledger.find).toHaveBeenCalledWith(TX, FRAME_ID);
    expect(faces.lockForMatching.mock.invocationCallOrder[0]).toBeLessThan(ledger.find.mock.invocationCallOrder[0]);
    expect(ledger.record).toHaveBeenCalledWith(TX, FRAME_ID, reply);
    expect(outbox.add.mock.invocationCallOrder[0]).toBeLessThan(ledger.record.mock.invocationCallOrder[0]);
    expect(faces.insert).toHaveBeenCalledTimes(1);
  });

  it('answers a frame it already stored with the recorded reply, and stores, publishes and relays nothing', async () => {
    const recorded: MatchFaces.Reply = {
      faces: [newPersonFace],
    }; // recorded before decisions existed: answered as it was
    // A stored face now lies at distance 0: a second run would answer isNew: false, and store it again.
    const { service, faces, persons, outbox, relay, bus, ledger } = setup([near(0, NEW_ID)], recorded);

    expect(await service.matchFaces(withId())).toEqual(recorded);
    expect(faces.nearest).not.toHaveBeenCalled();
    expect(faces.insert).not.toHaveBeenCalled();
    expect(persons.create).not.toHaveBeenCalled();
    expect(persons.touch).not.toHaveBeenCalled();
    expect(outbox.add).not.toHaveBeenCalled();
    expect(ledger.record).not.toHaveBeenCalled();
    expect(bus.publish).not.toHaveBeenCalled();
    expect(relay.kick).not.toHaveBeenCalled();
  });

  it('neither reads nor writes the ledger when nothing is stored (store=false) or the frame has no id', async () => {
    const { service, ledger } = setup([near(0.3)]);
    await service.matchFaces(withId({ store: false }));
    await service.matchFaces(request());
    expect(ledger.find).not.toHaveBeenCalled();
    expect(ledger.record).not.toHaveBeenCalled();
  });

  it('stores nothing for a frame its requester gave up (FrameSettle), and says so', async () => {
    const { service, faces, outbox, ledger, bus } = setup([near(0.3)], ABANDONED);
    await expect(service.matchFaces(withId())).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/given up/),
    });
    expect(faces.insert).not.toHaveBeenCalled();
    expect(outbox.add).not.toHaveBeenCalled();
    expect(ledger.record).not.toHaveBeenCalled();
    expect(bus.publish).not.toHaveBeenCalled();
  });

  it('records nothing when the transaction fails, so a retry stores the frame', async () => {
    const { service, ledger, faces } = setup([near(0.3)]);
    faces.insert.mockRejectedValueOnce(new Error('disk full'));
    await expect(service.matchFaces(withId())).rejects.toThrow('disk full');
    expect(ledger.record).not.toHaveBeenCalled();
  });
});

describe('MatcherService.matchFaces with the person rule', () => {
  const PERSON: DeciderConfig = { ...CONFIG, MATCH_RULE: 'person', MATCH_K: 64 };
  const BOB = '44444444-4444-4444-8444-444444444444';
  /** The gallery behind the seam: nearest faces, each candidate's centroid distance, and its size. */
  function gallery(
    nearest: NearestFace[],
    centroids: Record<string, number>,
    persons = 10,
    config: Partial<DeciderConfig> = {},
  ) {
    const t = setup(nearest, null, { ...PERSON, ...config });
    t.faces.personDistances = jest.fn(async (_tx: Tx, _e: readonly number[], ids: readonly string[]) =>
      ids
        .filter((id) => centroids[id] !== undefined)
        .map((personId) => ({ personId, distance: centroids[personId], faces: 3 })),
    ) as never;
    t.faces.countPersons = jest.fn().mockResolvedValue(persons) as never;
    return t;
  }
  const good = { faceWidth: 120, sharpness: 60, yaw: 0.05 };
  const upload = (quality: FaceQuality = good, source = 'upload') => {
    const req = request({}, [enc(0)], source);
    req.faces[0].quality = quality;
    return req;
  };

  it('scores a person by the centroid of their faces, not their nearest face, and answers that distance', async () => {
    // Bob owns the single nearest face, but Alice's faces as a whole are closer
    const { service, faces } = gallery([near(0.3, BOB), near(0.32)], { [ALICE.id]: 0.25, [BOB]: 0.45 });
    const [face] = (await service.matchFaces(upload())).faces;
    expect(face).toMatchObject({
      decision: 'match',
      personId: ALICE.id,
      isNew: false,
      faceId: FACE_ID,
      distance: 0.25,
    });
    expect(face.similarity).toBe(similarity(0.25, 0.5));
    expect(faces.nearest).toHaveBeenCalledWith(TX, enc(0), 64, 100);
    expect(faces.personDistances).toHaveBeenCalledWith(TX, enc(0), [BOB, ALICE.id], 50);
  });

  it('tightens the accepted distance as the gallery grows (0.5 at 100 persons, 0.44 at 10,000)', async () => {
    const small = gallery([near(0.47)], { [ALICE.id]: 0.47 }, 100);
    expect((await small.service.matchFaces(upload())).faces[0].decision).toBe('match');
    const large = gallery([near(0.47)], { [ALICE.id]: 0.47 }, 10_000, { MATCH_UNSURE_BAND: 0.05 });
    const [face] = (await large.service.matchFaces(upload())).faces;
    expect(face).toMatchObject({ decision: 'unsure', personId: null, faceId: null, isNew: false });
    expect(face.guess).toMatchObject({ personId: ALICE.id, personNumber: 1, personName: 'Alice', distance: 0.47 });
    expect(large.persons.create).not.toHaveBeenCalled();
    expect(large.faces.insert).not.toHaveBeenCalled();
  });

  it('is unsure between two look-alikes when so set: stores nothing and creates nobody', async () => {
    const { service, faces, persons, outbox } = gallery(
      [near(0.3), near(0.32, BOB)],
      { [ALICE.id]: 0.3, [BOB]: 0.32 },
      10,
      { MATCH_AMBIGUOUS: 'unsure' },
    );
    const [face] = (await service.matchFaces(upload())).faces;
    expect(face).toMatchObject({ decision: 'unsure', personId: null, guess: { personId: ALICE.id } });
    expect(faces.insert).not.toHaveBeenCalled();
    expect(persons.create).not.toHaveBeenCalled();
    expect(persons.touch).not.toHaveBeenCalled();
    expect(addedEvents(outbox)).toEqual([]);
  });

  it('makes a face between two look-alikes a new person by default', async () => {
    const { service, persons } = gallery([near(0.3), near(0.32, BOB)], { [ALICE.id]: 0.3, [BOB]: 0.32 });
    const [face] = (await service.matchFaces(upload())).faces;
    expect(face).toMatchObject({ decision: 'new', personId: NEW_ID });
    expect(persons.create).toHaveBeenCalledTimes(1);
  });

  it('does not let a poor stream face start a person or a sighting', async () => {
    const { service, persons, sightings, faces } = gallery([near(0.9)], { [ALICE.id]: 0.9 });
    const [face] = (await service.matchFaces(upload({ faceWidth: 24, sharpness: 3 }, 'cam-1'))).faces;
    expect(face).toMatchObject({ decision: 'unsure', personId: null, guess: { personId: ALICE.id } });
    expect(persons.create).not.toHaveBeenCalled();
    expect(sightings.track).not.toHaveBeenCalled();
    expect(faces.insert).not.toHaveBeenCalled();
  });

  it('lets a poor face match, and counts its sighting, but keeps it out of the gallery', async () => {
    const { service, sightings, faces } = gallery([near(0.2)], { [ALICE.id]: 0.2 });
    sightings.track.mockImplementation(async (_tx, f) => ({ faceId: await f.store(), events: [] }));
    const [face] = (await service.matchFaces(upload({ faceWidth: 80, sharpness: 50, yaw: 0.6 }, 'cam-1'))).faces;
    expect(face).toMatchObject({ decision: 'match', personId: ALICE.id, faceId: null });
    expect(sightings.track).toHaveBeenCalledTimes(1);
    expect(faces.insert).not.toHaveBeenCalled();
  });

  it('makes a good face far from everyone a new person', async () => {
    const { service, persons } = gallery([near(0.7)], { [ALICE.id]: 0.7 });
    const [face] = (await service.matchFaces(upload())).faces;
    expect(face).toMatchObject({ decision: 'new', isNew: true, personId: NEW_ID });
    expect(persons.create).toHaveBeenCalledTimes(1);
  });
});

describe('MatcherService.search', () => {
  const B = '44444444-4444-4444-8444-444444444444';
  const C = '55555555-5555-4555-8555-555555555555';

  it('answers the k nearest persons by their closest face, closest first, with match and similarity', async () => {
    const { service, faces, db } = setup([
      near(0.1, ALICE.id, 'a0000000-0000-4000-8000-000000000001'),
      near(0.2, ALICE.id),
      near(0.5, B, 'b0000000-0000-4000-8000-000000000001'),
      near(0.55, ALICE.id),
      near(0.7, C),
      near(0.8, B),
    ]);
    const res = await service.search({ encoding: enc(0), k: 2 });
    expect(res).toEqual({
      threshold: 0.6,
      results: [
        {
          personId: ALICE.id,
          personNumber: 1,
          personName: 'Alice',
          faceId: 'a0000000-0000-4000-8000-000000000001',
          distance: 0.1,
          similarity: similarity(0.1),
          match: true,
        },
        {
          personId: B,
          personNumber: 9,
          personName: null,
          faceId: 'b0000000-0000-4000-8000-000000000001',
          distance: 0.5,
          similarity: similarity(0.5),
          match: true,
        },
      ],
    });
    // Ten faces per wanted person, and an HNSW breadth that can return them all.
    expect(faces.nearest).toHaveBeenCalledWith(TX, enc(0), 20, 100);
    expect(db.transaction).toHaveBeenCalledTimes(1);
    expect(faces.insert).not.toHaveBeenCalled();
  });

  it('includes persons past the threshold as non-matches, scored against the requested threshold', async () => {
    const { service, faces } = setup([near(0.45), near(0.7, C)]);
    const res = await service.search({ encoding: enc(0), k: 50, threshold: 0.4 });
    expect(res.results.map((x) => [x.personId, x.match, x.similarity])).toEqual([
      [ALICE.id, false, similarity(0.45, 0.4)],
      [C, false, similarity(0.7, 0.4)],
    ]);
    expect(faces.nearest).toHaveBeenCalledWith(TX, enc(0), 500, 500);
  });
});
