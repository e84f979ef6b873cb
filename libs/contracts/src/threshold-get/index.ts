import { z } from 'zod';
import { defineRequest } from '../common/define';

/** The matching threshold in force: the applied one (ThresholdSet), else the matcher's THRESHOLD. */
export const subject = 'glimpse.matcher.settings.threshold.get';
export const queue = 'matcher';

export const request = z.strictObject({});
export type Request = z.input<typeof request>;

export const reply = z.strictObject({
  threshold: z.number().gt(0).lt(2),
  /** `applied`: set through ThresholdSet (kept across restarts); `config`: the THRESHOLD variable. */
  origin: z.enum(['applied', 'config']),
  updatedAt: z.iso.datetime().nullable(),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
