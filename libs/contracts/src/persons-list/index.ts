import { z } from 'zod';
import { defineRequest } from '../common/define';
import { personSchema } from '../common/person';

export const subject = 'glimpse.matcher.persons.list';
export const queue = 'matcher';

export const request = z.strictObject({
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(200).default(50),
  /** Case-insensitive substring of the name. */
  name: z.string().trim().min(1).max(100).optional(),
  /** true: only named persons; false: only unnamed ones. */
  named: z.boolean().optional(),
  /** Only persons last seen at or after this time. */
  seenSince: z.iso.datetime().optional(),
  /** Only persons last seen before this time. */
  seenBefore: z.iso.datetime().optional(),
});
export type Request = z.input<typeof request>;

export const reply = z.strictObject({
  items: z.array(personSchema),
  total: z.number().int().nonnegative(),
  page: z.number().int().min(1),
  pageSize: z.number().int().min(1),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
