import { z } from 'zod';
import { defineRequest } from '../common/define';
import { pageFields } from '../common/page';
import { personSchema } from '../common/person';
import { singleLineText } from '../common/text';

export const subject = 'glimpse.matcher.persons.list';
export const queue = 'matcher';

export const request = z.strictObject({
  ...pageFields,
  /** Case-insensitive substring of the name. */
  name: singleLineText(1, 100).optional(),
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
