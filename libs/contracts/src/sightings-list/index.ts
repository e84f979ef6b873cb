import { z } from 'zod';
import { defineRequest } from '../common/define';
import { sourceSchema, uuidSchema } from '../common/face';
import { pageFields, pageOf } from '../common/page';
import { sightingSchema } from '../common/sighting';

/** Sightings, most recently started first. `since`/`until` select sightings overlapping that interval. */
export const subject = 'glimpse.matcher.sightings.list';
export const queue = 'matcher';

export const request = z.strictObject({
  ...pageFields,
  streamId: sourceSchema.optional(),
  personId: uuidSchema.optional(),
  /** Sightings last seen at or after this time. */
  since: z.iso.datetime().optional(),
  /** Sightings started at or before this time. */
  until: z.iso.datetime().optional(),
  state: z.enum(['open', 'ended']).optional(),
});
export type Request = z.input<typeof request>;

export const reply = pageOf(sightingSchema);
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
