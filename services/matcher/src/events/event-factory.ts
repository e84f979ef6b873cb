import { Events } from '@glimpse/contracts';
import type { OutboxEvent } from './outbox.repository';

/** What events say about a person. */
export interface PersonInfo {
  id: string;
  number: number;
  name: string | null;
}

export interface SightingInfo {
  id: string;
  personId: string;
  source: string;
  startedAt: Date;
  lastSeenAt: Date;
  endedAt: Date | null;
  frames: number;
  bestFaceId: string | null;
}

type SightingType = 'sighting.started' | 'sighting.updated' | 'sighting.ended';

/**
 * Builds each event with its deterministic id (`<type>:<entity>[:<version>]`) and its person's subject,
 * checked against the contract, so a bad event fails the transaction that would have stored it.
 */
function build<T extends Events.EventType>(
  type: T,
  id: string,
  personId: string,
  at: Date,
  data: Events.DataOf<T>,
): OutboxEvent {
  const payload = Events.event.parse({ id, type, occurredAt: at.toISOString(), data });
  return { eventId: id, subject: Events.subjectFor(type, personId), personId, payload };
}

const ref = (p: PersonInfo) => ({ personId: p.id, personNumber: p.number, personName: p.name });
const crop = (faceId: string | null) => (faceId ? Events.cropUrl(faceId) : null);

export function sightingEvent(type: SightingType, s: SightingInfo, p: PersonInfo, at: Date): OutboxEvent {
  const data = {
    sightingId: s.id,
    streamId: s.source,
    ...ref(p),
    startedAt: s.startedAt.toISOString(),
    lastSeenAt: s.lastSeenAt.toISOString(),
    frames: s.frames,
    bestFaceId: s.bestFaceId,
    cropUrl: crop(s.bestFaceId),
  };
  // started and ended happen once per sighting; updates are told apart by their frame count.
  if (type === 'sighting.updated') return build(type, Events.eventId(type, s.id, s.frames), p.id, at, data);
  if (type === 'sighting.started') return build(type, Events.eventId(type, s.id), p.id, at, data);
  const endedAt = s.endedAt ?? s.lastSeenAt;
  return build('sighting.ended', Events.eventId(type, s.id), p.id, at, {
    ...data,
    endedAt: endedAt.toISOString(),
    durationMs: Math.max(0, endedAt.getTime() - s.startedAt.getTime()),
  });
}

export function personCreated(
  p: PersonInfo,
  c: { createdAt: Date; origin: 'recognition' | 'enrollment' | 'face-move'; source: string; faceIds: string[] },
  at: Date,
): OutboxEvent {
  return build('person.created', Events.eventId('person.created', p.id), p.id, at, {
    ...ref(p),
    createdAt: c.createdAt.toISOString(),
    origin: c.origin,
    source: c.source,
    faceIds: c.faceIds,
    cropUrl: crop(c.faceIds[0] ?? null),
  });
}

export function personEnrolled(p: PersonInfo, version: number, faceIds: string[], at: Date): OutboxEvent {
  return build('person.enrolled', Events.eventId('person.enrolled', p.id, version), p.id, at, {
    ...ref(p),
    faceIds,
    cropUrl: crop(faceIds[0] ?? null),
  });
}

export function personRenamed(p: PersonInfo, previousName: string | null, version: number, at: Date): OutboxEvent {
  return build('person.renamed', Events.eventId('person.renamed', p.id, version), p.id, at, {
    ...ref(p),
    previousName,
  });
}

export function personMerged(
  target: PersonInfo,
  source: PersonInfo,
  moved: { faces: number; sightings: number },
  version: number,
  at: Date,
): OutboxEvent {
  return build('person.merged', Events.eventId('person.merged', target.id, version), target.id, at, {
    ...ref(target),
    sourceId: source.id,
    sourceNumber: source.number,
    sourceName: source.name,
    movedFaces: moved.faces,
    movedSightings: moved.sightings,
  });
}

export function personDeleted(
  personId: string,
  reason: 'request' | 'retention' | 'emptied',
  deletedFaces: number,
  at: Date,
): OutboxEvent {
  return build('person.deleted', Events.eventId('person.deleted', personId), personId, at, {
    personId,
    reason,
    deletedFaces,
  });
}

/** Versioned by the destination, so moving a face back and forth yields distinct ids. */
export function faceMoved(
  faceId: string,
  fromPersonId: string,
  to: PersonInfo,
  toVersion: number,
  at: Date,
): OutboxEvent {
  return build('face.moved', Events.eventId('face.moved', faceId, `${to.id}.${toVersion}`), to.id, at, {
    faceId,
    fromPersonId,
    ...ref(to),
    cropUrl: Events.cropUrl(faceId),
  });
}

/** "Not this person": versioned like face.moved, so rejecting the face again later is a distinct event. */
export function faceRejected(
  faceId: string,
  fromPersonId: string,
  to: PersonInfo,
  toVersion: number,
  cannotLinks: number,
  at: Date,
): OutboxEvent {
  return build('face.rejected', Events.eventId('face.rejected', faceId, `${to.id}.${toVersion}`), to.id, at, {
    faceId,
    fromPersonId,
    ...ref(to),
    cannotLinks,
    cropUrl: Events.cropUrl(faceId),
  });
}
