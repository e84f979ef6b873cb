import { z } from 'zod';
import { defineRequest } from '../common/define';
import { uuidSchema } from '../common/face';
import { personSchema } from '../common/person';

/**
 * Two persons are one: every face and sighting of `sourceId` moves to `targetId`, and the source is deleted.
 * The target keeps its number and name (it takes the source's name when it has none).
 * Publishes `person.merged` (on the target's subject). CONFLICT when a face of one was marked as not the
 * other (FaceReject, ReviewDifferent): cannot-linked persons are never merged.
 */
export const subject = 'glimpse.matcher.persons.merge';
export const queue = 'matcher';

export const request = z
  .strictObject({ targetId: uuidSchema, sourceId: uuidSchema })
  .refine((r) => r.targetId !== r.sourceId, { message: 'cannot merge a person into itself', path: ['sourceId'] });
export type Request = z.input<typeof request>;

export const reply = z.strictObject({
  person: personSchema,
  sourceId: uuidSchema,
  movedFaces: z.number().int().nonnegative(),
  movedSightings: z.number().int().nonnegative(),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
