import { z } from 'zod';
import { defineRequest } from '../common/define';
import { boxSchema, encodingSchema, faceQualitySchema, uuidSchema } from '../common/face';
import { personNameSchema, personSchema } from '../common/person';

/**
 * Enrolls a known person from photos: creates a person (optionally named), or adds faces to `personId`.
 * One entry per photo; the caller has already refused photos with no face or several faces.
 * The matcher refuses the whole request with INVALID_IMAGE when any face is below its quality
 * thresholds (ENROLL_MIN_FACE_PX, ENROLL_MIN_SHARPNESS), e.g. `face too small: 42 px wide, need at least 60`;
 * with several faces the message starts with `face N of M: `.
 * Publishes `person.created` (origin `enrollment`) or `person.enrolled`.
 */
export const subject = 'glimpse.matcher.persons.enroll';
export const queue = 'matcher';

export const enrollFaceSchema = z.strictObject({
  box: boxSchema,
  encoding: encodingSchema,
  /** JPEG crop of the face, base64. */
  crop: z.base64().max(2_000_000),
  quality: faceQualitySchema,
});

export const request = z
  .strictObject({
    /** Add the faces to this person; without it a new person is created. */
    personId: uuidSchema.optional(),
    /** The new person's name (only without personId). */
    name: personNameSchema.optional(),
    faces: z.array(enrollFaceSchema).min(1).max(20),
  })
  .refine((r) => !(r.personId && r.name !== undefined), {
    message: 'give personId to add faces to a person, or name to create one, not both',
    path: ['name'],
  });
export type Request = z.input<typeof request>;

export const similarPersonSchema = z.strictObject({
  personId: uuidSchema,
  personNumber: z.number().int().positive(),
  personName: z.string().nullable(),
  /** The smallest distance between an enrolled face and this person's faces. */
  distance: z.number().nonnegative(),
  similarity: z.number().int().min(0).max(100),
});

export const reply = z.strictObject({
  person: personSchema,
  created: z.boolean(),
  /** The stored faces, in request order. */
  faceIds: z.array(uuidSchema),
  /**
   * Other persons within the threshold of an enrolled face, closest first: probably the same person seen
   * before enrollment, a candidate for PersonMerge.
   */
  similarPersons: z.array(similarPersonSchema),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
