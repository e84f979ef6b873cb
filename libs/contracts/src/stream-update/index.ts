import { z } from 'zod';
import { defineRequest } from '../common/define';
import { streamSchema } from '../common/stream';

/** Changes a running stream's settings. Every capture instance hears it; only the owner answers. */
export const subject = 'glimpse.capture.streams.update';
export const queue = undefined;

export const request = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  /** Match threshold for the stream's next frames. */
  threshold: z.number().gt(0).lt(2),
});
export type Request = z.infer<typeof request>;

export const reply = z.strictObject({ stream: streamSchema, threshold: z.number() });
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
