import { z } from 'zod';
import { defineRequest } from '../common/define';
import { uuidSchema } from '../common/face';
import { personSchema } from '../common/person';

/**
 * Moves one wrongly assigned face to another person, or (`toPersonId: null`) to a new person.
 * A person left without faces is deleted (`person.deleted`, reason `emptied`). CONFLICT when the face was
 * marked as not `toPersonId` (FaceReject, ReviewDifferent: a cannot-link with one of their faces).
 * Publishes `face.moved`, and `person.created` for a new person.
 */
export const subject = 'glimpse.matcher.faces.move';
export const queue = 'matcher';

export const request = z.strictObject({ faceId: uuidSchema, toPersonId: uuidSchema.nullable() });
export type Request = z.input<typeof request>;

export const reply = z.strictObject({
  faceId: uuidSchema,
  fromPersonId: uuidSchema,
  /** The person the face belongs to now. */
  person: personSchema,
  createdPerson: z.boolean(),
  fromPersonDeleted: z.boolean(),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
