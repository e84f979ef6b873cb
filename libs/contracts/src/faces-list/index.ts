import { z } from 'zod';
import { defineRequest } from '../common/define';
import { sourceSchema, uuidSchema } from '../common/face';
import { pageFields, pageOf } from '../common/page';
import { faceSummarySchema } from '../common/person';

/** Stored faces, newest first, optionally of one person and/or one source (stream id, `upload`, `enroll`). */
export const subject = 'glimpse.matcher.faces.list';
export const queue = 'matcher';

export const request = z.strictObject({
  ...pageFields,
  personId: uuidSchema.optional(),
  source: sourceSchema.optional(),
});
export type Request = z.input<typeof request>;

export const faceSchema = faceSummarySchema.extend({ personId: uuidSchema });
export const reply = pageOf(faceSchema);
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
