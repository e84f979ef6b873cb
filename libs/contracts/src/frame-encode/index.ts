import { z } from 'zod';
import { defineBinaryRequest } from '../common/define';
import { boxSchema, encodingSchema, faceQualitySchema, frameIdSchema, timingsSchema } from '../common/face';

/** Detect and encode faces without matching or storing anything. Body: JPEG or PNG bytes. */
export const subject = 'glimpse.frame.encode';
export const queue = 'recognizer';

export const headers = z.object({
  'Content-Type': z.enum(['image/jpeg', 'image/png']),
  /**
   * 'true': each reply face also carries `crop` (base64 JPEG of the face plus a margin) and `quality`
   * (face width and sharpness), what PersonEnroll needs. Absent or 'false': box and encoding only.
   */
  'Glimpse-Crops': z.enum(['true', 'false']).optional(),
  /** Lists the frame in the recognizer's heartbeat (RecognizerHeartbeat), so a requester learns when its holder died. */
  'Glimpse-Frame-Id': frameIdSchema.optional(),
});
export type Headers = z.input<typeof headers>;

export const reply = z.strictObject({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  faces: z.array(
    z.strictObject({
      box: boxSchema,
      encoding: encodingSchema,
      /** JPEG crop, base64, and its quality: what PersonEnroll needs; present when the recognizer provides them. */
      crop: z.base64().max(2_000_000).optional(),
      quality: faceQualitySchema.optional(),
    }),
  ),
  timings: timingsSchema,
  /** Instance id of the recognizer that did the work. */
  processedBy: z.string(),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineBinaryRequest(subject, headers, reply);
