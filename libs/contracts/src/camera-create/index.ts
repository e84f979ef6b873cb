import { z } from 'zod';
import { defineRequest } from '../common/define';
import { cameraSchema, cameraSettingsSchema } from '../common/camera';

/** Adds a camera (durable configuration); one capture instance of the queue group checks and stores it. */
export const subject = 'glimpse.capture.cameras.create';
export const queue = 'capture';

export const request = cameraSettingsSchema;
export type Request = z.input<typeof request>;

export const reply = cameraSchema;
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
