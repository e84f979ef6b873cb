import { z } from 'zod';
import { defineRequest } from '../common/define';
import { uuidSchema } from '../common/face';
import { personSchema } from '../common/person';

/**
 * "Not this person": face `faceId` is not `personId`. The face moves to a new person of its own, and it is
 * cannot-linked with every face `personId` keeps, so later merges of the two and moves back are refused
 * (CONFLICT). CONFLICT too when the face no longer belongs to `personId` or is that person's only face.
 * Publishes `person.created`, `face.moved` and `face.rejected`.
 */
export const subject = 'glimpse.matcher.faces.reject';
export const queue = 'matcher';

export const request = z.strictObject({ faceId: uuidSchema, personId: uuidSchema });
export type Request = z.input<typeof request>;

export const reply = z.strictObject({
  faceId: uuidSchema,
  /** The person the face was rejected from. */
  fromPersonId: uuidSchema,
  /** The new person the face belongs to now. */
  person: personSchema,
  /** Face pairs recorded as cannot-link. */
  cannotLinks: z.number().int().nonnegative(),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
