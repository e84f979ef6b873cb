import { Events } from '@glimpse/contracts';
import { faceMoved, personCreated, personDeleted, sightingEvent } from './event-factory';

const AT = new Date('2026-11-28T10:00:10.000Z');
const P = { id: '11111111-1111-4111-8111-111111111111', number: 3, name: 'Alice' };
const S = {
  id: '99999999-9999-4999-8999-999999999999',
  personId: P.id,
  source: 'cam-1',
  startedAt: new Date('2026-11-28T10:00:00.000Z'),
  lastSeenAt: new Date('2026-11-28T10:00:04.500Z'),
  endedAt: null,
  frames: 9,
  bestFaceId: '33333333-3333-4333-8333-333333333333',
};

describe('event factory', () => {
  it('builds a sighting event with a deterministic id on its person subject', () => {
    const started = sightingEvent('sighting.started', S, P, AT);
    expect(started).toEqual({
      eventId: `sighting.started:${S.id}`,
      subject: `glimpse.events.sighting.started.${P.id}`,
      personId: P.id,
      payload: {
        id: `sighting.started:${S.id}`,
        type: 'sighting.started',
        occurredAt: AT.toISOString(),
        data: {
          sightingId: S.id,
          streamId: 'cam-1',
          personId: P.id,
          personNumber: 3,
          personName: 'Alice',
          startedAt: S.startedAt.toISOString(),
          lastSeenAt: S.lastSeenAt.toISOString(),
          frames: 9,
          bestFaceId: S.bestFaceId,
          cropUrl: `/api/v1/faces/${S.bestFaceId}/crop`,
        },
      },
    });
    expect(sightingEvent('sighting.updated', S, P, AT).eventId).toBe(`sighting.updated:${S.id}:9`);
  });

  it('ends a sighting when its person was last seen', () => {
    const ended = sightingEvent('sighting.ended', { ...S, endedAt: S.lastSeenAt }, P, AT);
    expect(ended.payload.data).toMatchObject({ endedAt: S.lastSeenAt.toISOString(), durationMs: 4500 });
  });

  it('carries ids and crop URLs, never encodings or image bytes', () => {
    const created = personCreated(
      P,
      { createdAt: AT, origin: 'recognition', source: 'cam-1', faceIds: [S.bestFaceId] },
      AT,
    );
    expect(Object.keys(created.payload.data).sort()).toEqual([
      'createdAt',
      'cropUrl',
      'faceIds',
      'origin',
      'personId',
      'personName',
      'personNumber',
      'source',
    ]);
    expect(personDeleted(P.id, 'request', 2, AT).payload.data).toEqual({
      personId: P.id,
      reason: 'request',
      deletedFaces: 2,
    });
  });

  it('versions face moves by their destination, so moving back and forth yields new ids', () => {
    const Q = { ...P, id: '22222222-2222-4222-8222-222222222222' };
    const there = faceMoved(S.bestFaceId, P.id, Q, 2, AT);
    const back = faceMoved(S.bestFaceId, Q.id, P, 2, AT);
    expect(there.subject).toBe(`glimpse.events.face.moved.${Q.id}`);
    expect(new Set([there.eventId, back.eventId, faceMoved(S.bestFaceId, P.id, Q, 3, AT).eventId]).size).toBe(3);
    expect(Events.personOfSubject(there.subject)).toBe(Q.id);
  });

  it('refuses to build an event that breaks its contract', () => {
    expect(() => sightingEvent('sighting.started', { ...S, source: 'bad source!' }, P, AT)).toThrow();
  });
});
