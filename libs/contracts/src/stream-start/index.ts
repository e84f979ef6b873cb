import { z } from 'zod';
import { defineRequest } from '../common/define';
import { streamSchema } from '../common/stream';

/** Start ingesting a video file or an RTSP/HTTP URL. Queue group `capture`: one instance takes it. */
export const subject = 'glimpse.capture.streams.start';
export const queue = 'capture';

export const request = z.strictObject({
  url: z.string().min(1).max(2048),
  /** Snapshots per second. */
  fps: z.number().gt(0).max(30).optional(),
  /** Loop a file forever (useful for demos). */
  loop: z.boolean().default(false),
});
export type Request = z.input<typeof request>;

export const reply = streamSchema;
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
