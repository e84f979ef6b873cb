import { z } from 'zod';
import { defineRequest } from '../common/define';
import { cameraDecodeSchema, cameraIdSchema, cameraSchema, cameraSettingsSchema } from '../common/camera';

/** Changes some of a camera's settings; the instance running it applies them within a lease renewal. */
export const subject = 'glimpse.capture.cameras.update';
export const queue = 'capture';

export const patchSchema = z.strictObject({
  name: cameraSettingsSchema.shape.name.optional(),
  url: cameraSettingsSchema.shape.url.optional(),
  fps: z.number().gt(0).max(30).optional(),
  enabled: z.boolean().optional(),
  threshold: z.number().gt(0).lt(2).nullable().optional(),
  transport: z.enum(['tcp', 'udp']).optional(),
  decode: cameraDecodeSchema.optional(),
});

export const request = z.strictObject({ id: cameraIdSchema, patch: patchSchema });
export type Request = z.infer<typeof request>;

export const reply = cameraSchema;
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
