import { z } from 'zod';
import { defineRequest } from '../common/define';
import { sourceSchema, uuidSchema } from '../common/face';
import { pageFields, pageOf } from '../common/page';

/**
 * Where one person has been: their stream sightings (one entry per visit to a camera or stream) and the
 * uploaded photos they were recognized in (one entry per stored face), newest first. `from`/`to` select
 * entries overlapping that interval; `source` keeps one camera/stream id, or `upload`.
 */
export const subject = 'glimpse.matcher.persons.timeline';
export const queue = 'matcher';

export const request = z.strictObject({
  ...pageFields,
  personId: uuidSchema,
  source: sourceSchema.optional(),
  /** Entries last seen at or after this time. */
  from: z.iso.datetime().optional(),
  /** Entries started at or before this time. */
  to: z.iso.datetime().optional(),
});
export type Request = z.input<typeof request>;

export const entrySchema = z.strictObject({
  /** `stream`: a sighting (id is the sighting's); `upload`: a face stored from POST /recognize (id is the face's). */
  kind: z.enum(['stream', 'upload']),
  id: uuidSchema,
  /** The camera or stream id, or `upload`. */
  source: sourceSchema,
  startedAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  /** null while a sighting is open. */
  endedAt: z.iso.datetime().nullable(),
  frames: z.number().int().positive(),
  /** The best stored face of the entry (its crop), if one was kept. */
  bestFaceId: uuidSchema.nullable(),
});
export type Entry = z.infer<typeof entrySchema>;

export const reply = pageOf(entrySchema);
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
