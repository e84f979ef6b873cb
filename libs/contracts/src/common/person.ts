import { z } from 'zod';
import { boxSchema, uuidSchema } from './face';
import { singleLineText } from './text';

export const faceSummarySchema = z.strictObject({
  id: uuidSchema,
  box: boxSchema,
  source: z.string(),
  capturedAt: z.iso.datetime(),
  createdAt: z.iso.datetime(),
});

export const personSchema = z.strictObject({
  id: uuidSchema,
  number: z.number().int().positive(),
  name: z.string().nullable(),
  faceCount: z.number().int().nonnegative(),
  createdAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  /** The first stored face, to show as the person's picture. */
  coverFaceId: uuidSchema.nullable(),
});
export type Person = z.infer<typeof personSchema>;

export const personDetailSchema = personSchema.extend({ faces: z.array(faceSummarySchema) });
export type PersonDetail = z.infer<typeof personDetailSchema>;

/** A person's display name: trimmed, 1-100 characters, no control characters. */
export const personNameSchema = singleLineText(1, 100);
