import { z } from 'zod';
import { defineRequest } from '../common/define';
import { encodingSchema, uuidSchema } from '../common/face';

/**
 * 1:N search without storing anything: the `k` persons nearest to `encoding` (by their closest face),
 * closest first, whether or not they are within the threshold (`match` says which are).
 */
export const subject = 'glimpse.matcher.faces.search';
export const queue = 'matcher';

export const request = z.strictObject({
  encoding: encodingSchema,
  k: z.number().int().min(1).max(50).default(5),
  /** The matcher's THRESHOLD when absent. */
  threshold: z.number().gt(0).lt(2).optional(),
});
export type Request = z.input<typeof request>;

export const resultSchema = z.strictObject({
  personId: uuidSchema,
  personNumber: z.number().int().positive(),
  personName: z.string().nullable(),
  /** The person's face closest to the query. */
  faceId: uuidSchema,
  distance: z.number().nonnegative(),
  similarity: z.number().int().min(0).max(100),
  /** distance < threshold. */
  match: z.boolean(),
});
export type Result = z.infer<typeof resultSchema>;

export const reply = z.strictObject({ threshold: z.number().positive(), results: z.array(resultSchema) });
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
