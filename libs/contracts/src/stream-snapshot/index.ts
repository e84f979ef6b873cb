import { z } from 'zod';
import { defineRequest } from '../common/define';
import { sourceSchema } from '../common/face';

/**
 * The latest frame a running stream (a camera's, or an ad-hoc one) sent to recognition, for a live view
 * with boxes: its `seq` is the one recognition results carry. No queue group: every capture instance hears
 * the request and only the one running the stream answers (a stream nobody runs gets no answer).
 */
export const subject = 'glimpse.capture.streams.snapshot';

export const request = z.strictObject({ streamId: sourceSchema });
export type Request = z.infer<typeof request>;

export const reply = z.strictObject({
  streamId: sourceSchema,
  seq: z.number().int().nonnegative(),
  capturedAt: z.iso.datetime(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** The frame as sent to the recognizer (at most MAX_FRAME_WIDTH wide), base64 JPEG. */
  jpegBase64: z.string(),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
