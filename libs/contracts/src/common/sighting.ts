import { z } from 'zod';
import { sourceSchema, uuidSchema } from './face';

/**
 * Consecutive detections of one person in one stream: it starts with the first frame, and ends after
 * the matcher's quiet time without that person (SIGHTING_QUIET_MS). `bestFaceId` is the stored face with
 * the best size and sharpness so far (its crop: FaceCrop / `GET /api/v1/faces/:id/crop`).
 */
export const sightingSchema = z.strictObject({
  id: uuidSchema,
  personId: uuidSchema,
  personNumber: z.number().int().positive(),
  personName: z.string().nullable(),
  streamId: sourceSchema,
  startedAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  /** null while the sighting is open. */
  endedAt: z.iso.datetime().nullable(),
  frames: z.number().int().positive(),
  bestFaceId: uuidSchema.nullable(),
});
export type Sighting = z.infer<typeof sightingSchema>;
