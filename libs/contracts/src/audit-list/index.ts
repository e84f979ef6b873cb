import { z } from 'zod';
import { defineRequest } from '../common/define';
import { auditRecordSchema } from '../common/audit';
import { uuidSchema } from '../common/face';

/** The audit trail, newest first, filtered by caller (`actorId`: an API key id), person and time. */
export const subject = 'glimpse.matcher.audit.list';
export const queue = 'matcher';

export const request = z.strictObject({
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(500).default(50),
  actorId: z.string().min(1).max(128).optional(),
  personId: uuidSchema.optional(),
  since: z.iso.datetime().optional(),
  until: z.iso.datetime().optional(),
});
export type Request = z.input<typeof request>;

export const reply = z.strictObject({
  items: z.array(auditRecordSchema),
  total: z.number().int().min(0),
  page: z.number().int().min(1),
  pageSize: z.number().int().min(1),
});
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
