import { z } from 'zod';
import { defineRequest } from '../common/define';
import { cameraSchema } from '../common/camera';

/** Every configured camera with its live state; cameras live in KV, so any one capture instance answers. */
export const subject = 'glimpse.capture.cameras.list';
export const queue = 'capture';

export const request = z.strictObject({});
export const reply = z.strictObject({ items: z.array(cameraSchema) });
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
