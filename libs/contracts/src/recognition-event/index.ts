import { z } from 'zod';
import { defineEvent } from '../common/define';
import { frameMetaSchema, recognizedFaceSchema } from '../common/face';

/** Published by the matcher after each frame with at least one face; one subject per source. */
export const pattern = 'glimpse.recognition.*';
export const subjectFor = (source: string) => `glimpse.recognition.${source}`;

export const payload = z.strictObject({
  frame: frameMetaSchema,
  faces: z.array(recognizedFaceSchema),
});
export type Payload = z.infer<typeof payload>;

export const contract = defineEvent(pattern, subjectFor, payload);
