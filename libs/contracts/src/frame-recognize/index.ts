import { z } from 'zod';
import { defineBinaryRequest } from '../common/define';
import { frameIdSchema, frameMetaSchema, recognizedFaceSchema, sourceSchema, timingsSchema } from '../common/face';

/**
 * Recognize every face in one image: the recognizer detects and encodes, then asks the matcher.
 * Body: JPEG or PNG bytes. Queue group `recognizer`.
 */
export const subject = 'glimpse.frame.recognize';
export const queue = 'recognizer';

const boolHeader = z.enum(['true', 'false']).transform((v) => v === 'true');

/** NATS headers are strings; these schemas turn them into typed values. */
export const headers = z.object({
  'Glimpse-Source': sourceSchema,
  'Glimpse-Seq': z.coerce.number().int().nonnegative(),
  /** Same id on every retry of one frame, so the matcher stores it once (see frameIdSchema). */
  'Glimpse-Frame-Id': frameIdSchema.optional(),
  'Glimpse-Captured-At': z.iso.datetime(),
  'Glimpse-Store': boolHeader.default(true),
  'Glimpse-Threshold': z.coerce.number().gt(0).lt(2).optional(),
  'Content-Type': z.enum(['image/jpeg', 'image/png']),
});
export type Headers = z.input<typeof headers>;

export const reply = z.strictObject({
  frame: frameMetaSchema,
  faces: z.array(recognizedFaceSchema),
  timings: timingsSchema,
  /** Instance id of the recognizer that did the work. */
  processedBy: z.string(),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineBinaryRequest(subject, headers, reply);
