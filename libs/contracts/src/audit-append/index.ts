import { z } from 'zod';
import { defineRequest } from '../common/define';
import { auditRecordSchema } from '../common/audit';

/**
 * Appends audit records (the gateway sends them in batches, off the request path). Idempotent by record
 * id: a batch retried after a lost reply is stored once. `stored` counts the records new to the log.
 */
export const subject = 'glimpse.matcher.audit.append';
export const queue = 'matcher';

export const MAX_BATCH = 500;

export const request = z.strictObject({ records: z.array(auditRecordSchema).min(1).max(MAX_BATCH) });
export type Request = z.infer<typeof request>;

export const reply = z.strictObject({ stored: z.number().int().min(0) });
export type Reply = z.infer<typeof reply>;

export const contract = defineRequest(subject, request, reply);
