import { z } from 'zod';
import { defineRequest } from '../common/define';
import { boxSchema, uuidSchema } from '../common/face';
import { auditRecordSchema } from '../common/audit';
import { personSchema } from '../common/person';
import { sightingSchema } from '../common/sighting';

/**
 * Everything the matcher stores about one person (GDPR Art. 15/20; docs/privacy.md): the person, the
 * persons merged into them, every face (box, source, time; crops by FaceCrop), every sighting and their
 * events still in GLIMPSE_EVENTS and who accessed their data (audit trail). Encodings are left out: they are derived data, not meaningful to a person.
 */
export const subject = 'glimpse.matcher.persons.export';
export const queue = 'matcher';

/** At most this many events are exported (oldest first); `eventsTruncated` says when there were more. */
export const MAX_EVENTS = 5000;

/** At most this many audit records are exported (newest first). */
export const MAX_AUDIT = 10_000;

export const request = z.strictObject({ id: uuidSchema });
export type Request = z.infer<typeof request>;

export const exportedFaceSchema = z.strictObject({
  id: uuidSchema,
  box: boxSchema,
  source: z.string(),
  frameSeq: z.number().int(),
  capturedAt: z.iso.datetime(),
  createdAt: z.iso.datetime(),
});

export const exportedEventSchema = z.strictObject({
  subject: z.string(),
  seq: z.number().int().positive(),
  time: z.iso.datetime(),
  /** The event as published (JSON). */
  data: z.unknown(),
});

export const reply = z.strictObject({
  person: personSchema,
  /** Persons merged into this one: their events are this person's too. */
  aliasIds: z.array(uuidSchema),
  faces: z.array(exportedFaceSchema),
  sightings: z.array(sightingSchema),
  events: z.array(exportedEventSchema),
  eventsTruncated: z.boolean(),
  /** Who accessed this person's data (the audit trail, newest first, at most MAX_AUDIT). */
  audit: z.array(auditRecordSchema),
  auditTruncated: z.boolean(),
  exportedAt: z.iso.datetime(),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
