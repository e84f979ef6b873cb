import { z } from 'zod';
import { defineRequest } from '../common/define';
import { uuidSchema } from '../common/face';
import { sightingSchema } from '../common/sighting';

/** One sighting; its best crop is FaceCrop of `bestFaceId`. */
export const subject = 'glimpse.matcher.sightings.get';
export const queue = 'matcher';

export const request = z.strictObject({ id: uuidSchema });
export type Request = z.infer<typeof request>;

export const reply = sightingSchema;
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
