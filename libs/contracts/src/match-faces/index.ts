import { z } from 'zod';
import { defineRequest } from '../common/define';
import {
  boxSchema,
  encodingSchema,
  faceQualitySchema,
  frameMetaSchema,
  recognizedFaceSchema,
  trackIdSchema,
} from '../common/face';

/**
 * Assign each encoded face to its nearest stored person, or to a new one. Queue group `matcher`.
 * Idempotent by `frame.id`: a stored frame sent again with the same id gets the first reply back and
 * stores nothing, publishes nothing (the matcher keeps frame ids for 24 h).
 */
export const subject = 'glimpse.matcher.match';
export const queue = 'matcher';

export const request = z.strictObject({
  frame: frameMetaSchema,
  store: z.boolean(),
  threshold: z.number().gt(0).lt(2).optional(),
  faces: z
    .array(
      z.strictObject({
        box: boxSchema,
        encoding: encodingSchema,
        /** JPEG crop of the face, base64. */
        crop: z.base64().max(2_000_000),
        /** Where the crop was cut from the frame (frame pixels, before any scaling): lets BLUR_UNKNOWN find bystanders in it. */
        cropBox: boxSchema.optional(),
        /** Picks a sighting's best crop by size and sharpness; without it, the larger box wins. */
        quality: faceQualitySchema.optional(),
        /** The worker's track of this face in its stream (one face over several snapshots); live video only. */
        track: trackIdSchema.optional(),
      }),
    )
    .max(100),
});
export type Request = z.infer<typeof request>;

export const reply = z.strictObject({ faces: z.array(recognizedFaceSchema) });
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
