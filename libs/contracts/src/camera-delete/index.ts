import { z } from 'zod';
import { defineRequest } from '../common/define';
import { cameraIdSchema, cameraSchema } from '../common/camera';

/** Removes a camera; the instance running it stops it at its next lease renewal. */
export const subject = 'glimpse.capture.cameras.delete';
export const queue = 'capture';

export const request = z.strictObject({ id: cameraIdSchema });
export type Request = z.infer<typeof request>;

export const reply = cameraSchema;
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
