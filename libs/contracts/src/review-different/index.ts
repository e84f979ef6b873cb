import { z } from 'zod';
import { defineRequest } from '../common/define';
import { uuidSchema } from '../common/face';

/** Most persons one "different people" decision may name (every pair of them is linked). */
export const MAX_PERSONS = 10;

/**
 * "Different people": none of these persons is any other. Cannot-links are recorded between their faces,
 * so the review queue no longer groups them and merging any two of them is refused (CONFLICT).
 */
export const subject = 'glimpse.matcher.review.different';
export const queue = 'matcher';

export const request = z.strictObject({
  personIds: z
    .array(uuidSchema)
    .min(2)
    .max(MAX_PERSONS)
    .refine((ids) => new Set(ids).size === ids.length, { message: 'person ids must be distinct' }),
});
export type Request = z.input<typeof request>;

export const reply = z.strictObject({
  personIds: z.array(uuidSchema),
  /** Face pairs recorded as cannot-link (pairs already recorded are not counted). */
  cannotLinks: z.number().int().nonnegative(),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
