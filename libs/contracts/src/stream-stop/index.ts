import { z } from 'zod';
import { defineRequest } from '../common/define';
import { streamSchema } from '../common/stream';

/** Every capture instance hears it; only the owner answers with the stream (others stay silent). */
export const subject = 'glimpse.capture.streams.stop';
export const queue = undefined;

export const request = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
export type Request = z.infer<typeof request>;

export const reply = streamSchema;
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
