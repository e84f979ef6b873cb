import { z } from 'zod';
import { defineRequest } from '../common/define';

/**
 * Re-seals up to `limit` face crops that are plaintext or sealed with an older key, with the matcher's
 * current crop key (the first of CROP_KEY). Callers repeat until `remaining` is 0 (`npm run crops -- rotate-key`).
 */
export const subject = 'glimpse.matcher.faces.crops.rotate';
export const queue = 'matcher';

export const request = z.strictObject({ limit: z.number().int().min(1).max(5000).default(500) });
export type Request = z.input<typeof request>;

export const reply = z.strictObject({
  /** The id of the key crops are sealed with now; null when the matcher has no CROP_KEY. */
  keyId: z.string().nullable(),
  resealed: z.number().int().min(0),
  /** Crops still plaintext or under another key (0 when done, or when there is no key). */
  remaining: z.number().int().min(0),
  /** How many crops each key id holds ('plaintext': none). */
  byKey: z.record(z.string(), z.number().int().min(0)),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
