import { z } from 'zod';
import { sourceSchema, uuidSchema } from '../common/face';

/**
 * Durable events for other systems, on the JetStream stream GLIMPSE_EVENTS.
 *
 * Subject: `glimpse.events.<type>.<personId>`, e.g. `glimpse.events.sighting.started.<uuid>`: every event is
 * about one person, so erasing a person purges `glimpse.events.*.*.<personId>`; subscribe to
 * `glimpse.events.>` for everything or `glimpse.events.sighting.>` for one family.
 * Payload: the envelope `{id, type, occurredAt, data}`. `id` is stable and unique per event (it is also the
 * JetStream de-duplication id), so a consumer or webhook can drop repeats by it.
 * No event carries encodings or image bytes: faces appear as ids and crop URLs.
 * Objects are open: new fields may be added, so consumers must ignore fields they do not know.
 */
export const STREAM = 'GLIMPSE_EVENTS';
export const SUBJECT_PREFIX = 'glimpse.events';
export const ALL_SUBJECTS = `${SUBJECT_PREFIX}.>`;

/** Path of a face crop on the gateway (relative to its base URL). */
export const cropUrl = (faceId: string): string => `/api/v1/faces/${faceId}/crop`;

const personRef = {
  personId: uuidSchema,
  personNumber: z.number().int().positive(),
  personName: z.string().nullable(),
};

const sightingData = z.object({
  sightingId: uuidSchema,
  streamId: sourceSchema,
  ...personRef,
  startedAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  frames: z.number().int().positive(),
  /** The sighting's best face so far, and its crop URL. */
  bestFaceId: uuidSchema.nullable(),
  cropUrl: z.string().nullable(),
});

export const dataSchemas = {
  /** A person appeared in a stream. */
  'sighting.started': sightingData,
  /** Still there: at most one per sighting every SIGHTING_UPDATE_THROTTLE_MS. */
  'sighting.updated': sightingData,
  /** Not seen for SIGHTING_QUIET_MS; `endedAt` is the last time they were seen. */
  'sighting.ended': sightingData.extend({
    endedAt: z.iso.datetime(),
    durationMs: z.number().int().nonnegative(),
  }),
  'person.created': z.object({
    ...personRef,
    createdAt: z.iso.datetime(),
    /** recognition: an unknown face in a frame; enrollment: PersonEnroll; face-move: FaceMove to a new person. */
    origin: z.enum(['recognition', 'enrollment', 'face-move']),
    /** The stream or source of the first face (`upload`, `enroll`, a stream id). */
    source: z.string(),
    faceIds: z.array(uuidSchema),
    cropUrl: z.string().nullable(),
  }),
  /** Faces were enrolled to an existing person. */
  'person.enrolled': z.object({ ...personRef, faceIds: z.array(uuidSchema), cropUrl: z.string().nullable() }),
  'person.renamed': z.object({ ...personRef, previousName: z.string().nullable() }),
  /** `sourceId` was merged into `personId` and no longer exists. */
  'person.merged': z.object({
    ...personRef,
    sourceId: uuidSchema,
    sourceNumber: z.number().int().positive(),
    sourceName: z.string().nullable(),
    movedFaces: z.number().int().nonnegative(),
    movedSightings: z.number().int().nonnegative(),
  }),
  /**
   * The person is gone with every face, crop and sighting, and every earlier event of theirs was erased
   * from the stream. Carries nothing but the id.
   */
  'person.deleted': z.object({
    personId: uuidSchema,
    reason: z.enum(['request', 'retention', 'emptied']),
    deletedFaces: z.number().int().nonnegative(),
  }),
  /** One face was reassigned; the subject names the person it moved to. */
  'face.moved': z.object({
    faceId: uuidSchema,
    fromPersonId: uuidSchema,
    ...personRef,
    cropUrl: z.string(),
  }),
  /**
   * "Not this person": the face was taken from `fromPersonId` and given a new person (the subject's), and it
   * is cannot-linked with the faces `fromPersonId` keeps, so it never joins that person again.
   */
  'face.rejected': z.object({
    faceId: uuidSchema,
    fromPersonId: uuidSchema,
    ...personRef,
    cannotLinks: z.number().int().nonnegative(),
    cropUrl: z.string(),
  }),
} as const;

export type EventType = keyof typeof dataSchemas;
export const EVENT_TYPES = Object.keys(dataSchemas) as EventType[];
export type DataOf<T extends EventType> = z.infer<(typeof dataSchemas)[T]>;

const envelope = <T extends EventType>(type: T) =>
  z.object({
    /** Stable, unique event id: `<type>:<entity id>[:<version>]`. */
    id: z.string().min(1).max(200),
    type: z.literal(type),
    occurredAt: z.iso.datetime(),
    data: dataSchemas[type],
  });

export const envelopes = {
  'sighting.started': envelope('sighting.started'),
  'sighting.updated': envelope('sighting.updated'),
  'sighting.ended': envelope('sighting.ended'),
  'person.created': envelope('person.created'),
  'person.enrolled': envelope('person.enrolled'),
  'person.renamed': envelope('person.renamed'),
  'person.merged': envelope('person.merged'),
  'person.deleted': envelope('person.deleted'),
  'face.moved': envelope('face.moved'),
  'face.rejected': envelope('face.rejected'),
} as const;

/** Any event, discriminated on `type`. */
export const event = z.discriminatedUnion('type', [
  envelopes['sighting.started'],
  envelopes['sighting.updated'],
  envelopes['sighting.ended'],
  envelopes['person.created'],
  envelopes['person.enrolled'],
  envelopes['person.renamed'],
  envelopes['person.merged'],
  envelopes['person.deleted'],
  envelopes['face.moved'],
  envelopes['face.rejected'],
]);
export type Event = z.infer<typeof event>;
export type EventOf<T extends EventType> = Extract<Event, { type: T }>;

/** The subject an event is published on: every event belongs to one person. */
export const subjectFor = (type: EventType, personId: string): string => `${SUBJECT_PREFIX}.${type}.${personId}`;

/** Matches every event of one person (what erasure purges). */
export const personFilter = (personId: string): string => `${SUBJECT_PREFIX}.*.*.${personId}`;

/** The person a subject belongs to, or null for a subject outside the stream's scheme. */
export function personOfSubject(subject: string): string | null {
  const parts = subject.split('.');
  return parts.length === 5 && `${parts[0]}.${parts[1]}` === SUBJECT_PREFIX ? parts[4] : null;
}

/** Deterministic event ids, so a retried publish is de-duplicated by JetStream. */
export const eventId = (type: EventType, entityId: string, version?: number | string): string =>
  version === undefined ? `${type}:${entityId}` : `${type}:${entityId}:${version}`;
