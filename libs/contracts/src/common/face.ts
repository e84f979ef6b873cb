import { z } from 'zod';

export const ENCODING_LENGTH = 128;

export const boxSchema = z.strictObject({
  x: z.number().int().nonnegative(),
  y: z.number().int().nonnegative(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type Box = z.infer<typeof boxSchema>;

export const encodingSchema = z.array(z.number().finite()).length(ENCODING_LENGTH);
export type Encoding = z.infer<typeof encodingSchema>;

export const uuidSchema = z.uuid();

/** Where a frame came from: a stream id, or `upload` for the HTTP API. */
export const UPLOAD_SOURCE = 'upload';
export const sourceSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
/** A face's track within its stream, named by the recognizer's worker (unique per stream while it lives). */
export const trackIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/**
 * Names one frame for its whole trip, set by whoever made it (capture per snapshot, the gateway per upload).
 * A frame sent again under the same id (a retry) is stored once: the matcher answers it from its ledger.
 */
export const frameIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

export const frameMetaSchema = z.strictObject({
  /** The frame id (see frameIdSchema); absent from senders that never retry. */
  id: frameIdSchema.optional(),
  source: sourceSchema,
  seq: z.number().int().nonnegative(),
  capturedAt: z.iso.datetime(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type FrameMeta = z.infer<typeof frameMetaSchema>;

export const recognizedFaceSchema = z.strictObject({
  /** null when nothing was stored (`store=false`). */
  faceId: uuidSchema.nullable(),
  box: boxSchema,
  personId: uuidSchema.nullable(),
  personNumber: z.number().int().positive().nullable(),
  personName: z.string().nullable(),
  isNew: z.boolean(),
  /**
   * Euclidean distance behind the match: to the nearest stored face (MATCH_RULE=nearest) or to the person
   * (the person rule: see docs/identity.md); null when the face matched nobody.
   */
  distance: z.number().nonnegative().nullable(),
  similarity: z.number().int().min(0).max(100).nullable(),
  /**
   * `match`: one of the stored persons (personId). `new`: nobody stored (a new person when stored).
   * `unsure`: neither is safe (too close to someone to be new, not close enough to be them, or too poor a
   * face to start a person): personId is null, nothing is stored, and `guess` names the closest person.
   * `unknown` (RECOGNITION_MODE=watchlist): none of the enrolled, named persons; nothing about the face is
   * kept (docs/privacy.md).
   * Absent from replies recorded before decisions existed.
   */
  decision: z.enum(['match', 'new', 'unsure', 'unknown']).optional(),
  /** The stream sighting this face counts in (one per person per stream visit); absent for uploads and unstored faces. */
  sightingId: uuidSchema.optional(),
  /** The closest person when decision is `unsure` (null when there was nobody to guess). */
  guess: z
    .strictObject({
      personId: uuidSchema,
      personNumber: z.number().int().positive(),
      personName: z.string().nullable(),
      distance: z.number().nonnegative(),
      similarity: z.number().int().min(0).max(100),
    })
    .nullable()
    .optional(),
});
export type RecognizedFace = z.infer<typeof recognizedFaceSchema>;

/**
 * How usable a face is, measured by whoever cut the crop (the recognizer / its worker).
 * `faceWidth`: width of the detected face box in pixels of the original image.
 * `sharpness`: variance of the 3x3 Laplacian (kernel 0 1 0 / 1 -4 1 / 0 1 0) of the 8-bit grayscale face box
 * (no margin) resized to 128 px wide. Rough scale: < 20 badly blurred or out of focus, 20-100 soft
 * (motion, compression), > 100 sharp. Resizing to a fixed width makes it comparable across face sizes.
 */
export const faceQualitySchema = z.strictObject({
  faceWidth: z.number().int().positive(),
  sharpness: z.number().nonnegative().finite(),
  /**
   * Head turn from the 5 landmarks: (nose x − eye-midpoint x) / distance between the eye centres.
   * 0 frontal; roughly ±0.2 at 30° and ±0.3 at 45° (the nose base sits about a third of the eye distance
   * in front of the eyes); the sign is the direction. Absent from older workers.
   */
  yaw: z.number().min(-5).max(5).optional(),
});
export type FaceQuality = z.infer<typeof faceQualitySchema>;

export const timingsSchema = z.record(z.string(), z.number().nonnegative());
