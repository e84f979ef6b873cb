import { z } from 'zod';
import { defineRequest } from '../common/define';
import { personSchema } from '../common/person';

export const subject = 'glimpse.matcher.persons.list';
export const queue = 'matcher';

export const request = z.strictObject({
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(200).default(50),
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
