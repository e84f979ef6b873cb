import { z } from 'zod';
import { defineRequest } from '../common/define';
import { uuidSchema } from '../common/face';

/** Deletes a person with every face, encoding and crop. */
export const subject = 'glimpse.matcher.persons.delete';
export const queue = 'matcher';

export const request = z.strictObject({ id: uuidSchema });
export type Request = z.infer<typeof request>;

export const reply = z.strictObject({ id: uuidSchema, deletedFaces: z.number().int().nonnegative() });
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
