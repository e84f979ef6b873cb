import { z } from 'zod';
import { defineRequest } from '../common/define';

/** How this Glimpse treats face data (docs/privacy.md): what the web page shows, what an operator checks. */
export const subject = 'glimpse.matcher.privacy.get';
export const queue = 'matcher';

export const request = z.strictObject({});
export type Request = z.input<typeof request>;

export const reply = z.strictObject({
  /** `remember`: every face seen is kept as a person; `watchlist`: only enrolled, named persons are matched, nothing else is kept. */
  recognitionMode: z.enum(['remember', 'watchlist']),
  /** BLUR_UNKNOWN: faces that are no enrolled, named person's are blurred in stored crops (and annotated images). */
  blurUnknown: z.boolean(),
  /** Whether new crops are sealed (CROP_KEY set), and the key's id. */
  cropsEncrypted: z.boolean(),
  cropKeyId: z.string().nullable(),
  /** Days the audit trail keeps records (0: forever). */
  auditRetentionDays: z.number().min(0),
  /** Days unnamed persons are kept unseen (0: forever). */
  unnamedRetentionDays: z.number().min(0),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
