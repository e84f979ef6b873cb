import { z } from 'zod';
import { defineEvent, defineRequest } from '../common/define';
import * as ThresholdGet from '../threshold-get';

/**
 * Applies a matching threshold (e.g. a calibrated one): stored in the matcher's database, so a restart
 * keeps it, and announced on `changed` so that every matcher instance uses it at once.
 * `threshold: null` goes back to the THRESHOLD variable.
 */
export const subject = 'glimpse.matcher.settings.threshold.set';
export const queue = 'matcher';

export const request = z.strictObject({ threshold: z.number().gt(0).lt(2).nullable() });
export type Request = z.input<typeof request>;

export const reply = ThresholdGet.reply;
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);

/** Every matcher instance (no queue group) reloads the applied threshold when it hears this. */
export const changed = defineEvent(
  'glimpse.matcher.settings.changed',
  () => 'glimpse.matcher.settings.changed',
  z.strictObject({ threshold: z.number().gt(0).lt(2) }),
);
