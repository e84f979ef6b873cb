import { z } from 'zod';
import { uuidSchema } from './face';

/** Who made a call: an API key or the web client's cookie (its key's id), ADMIN_API_KEY, or a live camera session. */
export const auditActorSchema = z.strictObject({
  kind: z.enum(['key', 'cookie', 'bootstrap', 'session']),
  /** The API key id (`bootstrap` for ADMIN_API_KEY); a live session's id when known; null otherwise. */
  id: z.string().max(128).nullable(),
});

/** At most this many person ids per record; a call that touched more says so by `personsTruncated`. */
export const MAX_AUDIT_PERSONS = 100;

/** One call that read or wrote face data (docs/privacy.md "Audit trail"). */
export const auditRecordSchema = z.strictObject({
  /** Chosen by the gateway: a retried append stores the record once. */
  id: uuidSchema,
  at: z.iso.datetime(),
  actor: auditActorSchema,
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  /** The route template, e.g. `/api/v1/persons/:id`. */
  route: z.string().min(1).max(200),
  status: z.number().int().min(100).max(599),
  personIds: z.array(uuidSchema).max(MAX_AUDIT_PERSONS),
  personsTruncated: z.boolean(),
  /** How many faces the call returned, stored or erased. */
  faces: z.number().int().min(0),
  /** The client's address (TRUST_PROXY decides whether a proxy's X-Forwarded-For counts). */
  ip: z.string().max(64).nullable(),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;
