import { z } from 'zod';
import { defineRequest } from '../common/define';
import { streamSchema } from '../common/stream';

/** Every capture instance answers with the streams it owns (scatter-gather, no queue group). */
export const subject = 'glimpse.capture.streams.list';
export const queue = undefined;

export const request = z.strictObject({});
export const reply = z.strictObject({ items: z.array(streamSchema) });
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
