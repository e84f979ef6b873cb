import { z } from 'zod';
import { boxSchema, encodingSchema, faceQualitySchema, trackIdSchema } from './face';

/**
 * The Python face worker's answer to `POST /v1/encode`: HTTP between the recognizer and its worker, not a
 * NATS message, so it has no file in libs/contracts/schemas. The worker builds it from typed models
 * (services/recognizer/worker/app/models.py), the recognizer parses every reply with this schema, and
 * test/integration/worker-contract.test.ts checks real replies against it. Not strict: a newer worker
 * may add fields without breaking an older recognizer.
 */
export const workerEncodeReplySchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  faces: z.array(
    z.object({
      box: boxSchema,
      encoding: encodingSchema,
      crop: z.base64().min(1).optional(),
      /** Where `crop` was cut from the image (the box plus a margin, clipped), in image pixels. */
      cropBox: boxSchema.optional(),
      /** Always sent by the current worker; optional so that an older worker still serves frames. */
      quality: faceQualitySchema.optional(),
      /** Set when the encoding was reused from the face's track instead of computed (requests with `track`). */
      tracked: z.literal(true).optional(),
      /** The face's track in its stream (requests with `track` only; see tracking.py). */
      track: trackIdSchema.optional(),
    }),
  ),
  timings: z.record(z.string(), z.number().nonnegative()),
});
export type WorkerEncodeReply = z.infer<typeof workerEncodeReplySchema>;
export type WorkerEncodeFace = WorkerEncodeReply['faces'][number];
