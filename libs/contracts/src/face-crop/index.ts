import { z } from 'zod';
import { defineRequest } from '../common/define';
import { uuidSchema } from '../common/face';

export const subject = 'glimpse.matcher.faces.crop';
export const queue = 'matcher';

export const request = z.strictObject({ id: uuidSchema });
export type Request = z.infer<typeof request>;

/** JPEG bytes, base64. */
export const reply = z.strictObject({ id: uuidSchema, jpeg: z.base64() });
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
