import { z } from 'zod';
import { defineRequest } from '../common/define';
import { uuidSchema } from '../common/face';
import { personDetailSchema } from '../common/person';

export const subject = 'glimpse.matcher.persons.get';
export const queue = 'matcher';

export const request = z.strictObject({ id: uuidSchema });
export type Request = z.infer<typeof request>;

export const reply = personDetailSchema;
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
