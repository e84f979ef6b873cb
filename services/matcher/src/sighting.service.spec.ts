import type { Clock } from './clock';
import type { Database, Tx } from './database/database';
import type { EventRelay } from './events/event-relay';
import type { OutboxEvent, OutboxRepository } from './events/outbox.repository';
import type { FaceRepository } from './face.repository';
import type { SightingRepository, SightingRow } from './sighting.repository';
import { SightingService, type SightingsConfig, type StreamFace } from './sighting.service';
import { strictMock } from '@glimpse/testing';

const TX = { tx: 'tx' } as unknown as Tx;
const T0 = new Date('2026-11-28T10:00:00.000Z');
const PERSON = { id: '11111111-1111-4111-8111-111111111111', number: 1, name: 'Alice' };
const SIGHTING = '99999999-9999-4999-8999-999999999999';
const FACE = '33333333-3333-4333-8333-333333333333';
const OLD_BEST = '44444444-4444-4444-8444-444444444444';
const CONFIG: SightingsConfig = {
  SIGHTING_QUIET_MS: 10_000,
  SIGHTING_UPDATE_THROTTLE_MS: 5_000,
  SIGHTING_SWEEP_INTERVAL_MS: 1_000,
  STORE_STREAM_FACES: 'best',
};
const at = (ms: number) => new Date(T0.getTime() + ms);

const row = (over: Partial<SightingRow> = {}): SightingRow => ({
  id: SIGHTING,
  personId: PERSON.id,
  source: 'cam-1',
  startedAt: T0,
  lastSeenAt: T0,
  endedAt: null,
  frames: 1,
  bestFaceId: OLD_BEST,
  bestScore: 1000,
  announcedAt: T0,
  ...over,
});

function setup(open: SightingRow | null, now = at(1000), config: Partial<SightingsConfig> = {}) {
  const db = strictMock<Database>('db', { transaction: jest.fn((fn: (tx: Tx) => unknown) => fn(TX)) as never });
  const sightings = strictMock<SightingRepository>('sightings', {
    findOpen: jest.fn().mockResolvedValue(open),
    create: jest.fn(async (_tx, s) =>
      row({
        startedAt: s.seenAt,
        lastSeenAt: s.seenAt,
        bestFaceId: s.bestFaceId,
        bestScore: s.bestScore,
        announcedAt: s.announcedAt,
      }),
    ),
    update: jest.fn(async (_tx, _id, c) =>
      row({
        ...open,
        lastSeenAt: c.seenAt,
        frames: (open?.frames ?? 0) + c.addFrames,
        ...(c.best ? { bestFaceId: c.best.faceId, bestScore: c.best.score } : {}),
      }),
    ),
  });
  const faces = strictMock<FaceRepository>('faces', { lockForMatching: jest.fn().mockResolvedValue(undefined) });
  const outbox = strictMock<OutboxRepository>('outbox', { add: jest.fn().mockResolvedValue(undefined) });
  const relay = strictMock<EventRelay>('relay', { kick: jest.fn() });
  const clock = strictMock<Clock>('clock', { now: jest.fn(() => now) });
  const service = new SightingService({ ...CONFIG, ...config }, db, sightings, faces, outbox, relay, clock);
  const store = jest.fn().mockResolvedValue(FACE);
  const face = (over: Partial<StreamFace> = {}): StreamFace => ({
    person: PERSON,
    isNew: false,
    source: 'cam-1',
    seenAt: at(900),
    score: 500,
    store,
    ...over,
  });
  return { service, db, sightings, faces, outbox, relay, store, face };
}
const types = (events: readonly OutboxEvent[]) => events.map((e) => e.payload.type);

describe('SightingService.track', () => {
  it('starts a sighting for a person not seen in this stream within the quiet time, keeping the face', async () => {
    const { service, sightings, store, face } = setup(null);
    const counted = new Set<string>();
    const out = await service.track(TX, face(), counted);

    expect(sightings.findOpen).toHaveBeenCalledWith(TX, PERSON.id, 'cam-1', at(900 - 10_000));
    expect(store).toHaveBeenCalledTimes(1);
    expect(sightings.create).toHaveBeenCalledWith(TX, {
      personId: PERSON.id,
      source: 'cam-1',
      seenAt: at(900),
      bestFaceId: FACE,
      bestScore: 500,
      announcedAt: at(1000),
    });
    expect(out.faceId).toBe(FACE);
    expect(out.sightingId).toBe(SIGHTING);
    expect(types(out.events)).toEqual(['sighting.started']);
    expect(out.events[0]).toMatchObject({
      eventId: `sighting.started:${SIGHTING}`,
      subject: `glimpse.events.sighting.started.${PERSON.id}`,
    });
    expect(out.events[0].payload.data).toMatchObject({
      frames: 1,
      bestFaceId: FACE,
      cropUrl: `/api/v1/faces/${FACE}/crop`,
      personName: 'Alice',
      streamId: 'cam-1',
    });
    expect(counted.has(SIGHTING)).toBe(true);
  });

  it('does not look for an open sighting of a person created for this face', async () => {
    const { service, sightings, face } = setup(null);
    await service.track(TX, face({ isNew: true }), new Set());
    expect(sightings.findOpen).not.toHaveBeenCalled();
    expect(sightings.create).toHaveBeenCalled();
  });

  it('updates the open sighting: a better face is kept and becomes its best crop', async () => {
    const { service, sightings, store, face } = setup(row());
    const out = await service.track(TX, face({ score: 2000 }), new Set());
    expect(store).toHaveBeenCalled();
    expect(sightings.update).toHaveBeenCalledWith(TX, SIGHTING, {
      seenAt: at(900),
      addFrames: 1,
      best: { faceId: FACE, score: 2000 },
      announcedAt: undefined,
    });
    expect(out).toEqual({ faceId: FACE, sightingId: SIGHTING, events: [] }); // within the throttle: no update event
  });

  it('with STORE_STREAM_FACES=best keeps no face that does not beat the best one', async () => {
    const { service, sightings, store, face } = setup(row({ bestScore: 1000 }));
    const out = await service.track(TX, face({ score: 1000 }), new Set());
    expect(store).not.toHaveBeenCalled();
    expect(out.faceId).toBeNull();
    expect(sightings.update).toHaveBeenCalledWith(
      TX,
      SIGHTING,
      expect.objectContaining({ addFrames: 1, best: undefined }),
    );
  });

  it('with STORE_STREAM_FACES=all keeps every face, but only a better one becomes the best crop', async () => {
    const { service, sightings, store, face } = setup(row({ bestScore: 1000 }), at(1000), {
      STORE_STREAM_FACES: 'all',
    });
    const out = await service.track(TX, face({ score: 10 }), new Set());
    expect(store).toHaveBeenCalled();
    expect(out.faceId).toBe(FACE);
    expect(sightings.update).toHaveBeenCalledWith(TX, SIGHTING, expect.objectContaining({ best: undefined }));
  });

  it('announces sighting.updated once the throttle has passed since the last announcement', async () => {
    const { service, sightings, face } = setup(row({ announcedAt: T0, frames: 6 }), at(5000));
    const out = await service.track(TX, face({ seenAt: at(4990) }), new Set());
    expect(sightings.update).toHaveBeenCalledWith(TX, SIGHTING, expect.objectContaining({ announcedAt: at(5000) }));
    expect(types(out.events)).toEqual(['sighting.updated']);
    expect(out.events[0].eventId).toBe(`sighting.updated:${SIGHTING}:7`);

    const early = setup(row({ announcedAt: T0 }), at(4999));
    expect((await early.service.track(TX, early.face(), new Set())).events).toEqual([]);
  });

  it('counts a frame once when two of its faces are the same person', async () => {
    const { service, sightings, face } = setup(row());
    const counted = new Set<string>();
    await service.track(TX, face(), counted);
    await service.track(TX, face(), counted);
    expect(sightings.update.mock.calls.map(([, , c]) => c.addFrames)).toEqual([1, 0]);
  });
});

describe('SightingService.sweep', () => {
  it('does not take the write lock when nothing is quiet', async () => {
    const { service, db, sightings } = setup(null, at(60_000));
    sightings.anyQuiet = jest.fn().mockResolvedValue(false);
    await expect(service.sweep()).resolves.toBe(0);
    expect(sightings.anyQuiet).toHaveBeenCalledWith(at(50_000));
    expect(db.transaction).not.toHaveBeenCalled();
  });

  it('ends sightings quiet for longer than the quiet time and writes sighting.ended for each', async () => {
    const { service, sightings, faces, outbox, relay } = setup(null, at(60_000));
    sightings.anyQuiet = jest.fn().mockResolvedValue(true);
    const ended = { ...row({ frames: 12, lastSeenAt: at(40_000), endedAt: at(40_000) }), person: PERSON };
    sightings.endQuiet = jest.fn().mockResolvedValue([ended]);
    await expect(service.sweep()).resolves.toBe(1);

    expect(faces.lockForMatching).toHaveBeenCalledWith(TX);
    expect(sightings.endQuiet).toHaveBeenCalledWith(TX, at(50_000));
    const [[, events]] = outbox.add.mock.calls;
    expect(types(events)).toEqual(['sighting.ended']);
    expect(events[0].payload).toMatchObject({
      id: `sighting.ended:${SIGHTING}`,
      occurredAt: at(60_000).toISOString(),
      data: { frames: 12, endedAt: at(40_000).toISOString(), durationMs: 40_000, bestFaceId: OLD_BEST },
    });
    expect(relay.kick).toHaveBeenCalled();
  });
});
