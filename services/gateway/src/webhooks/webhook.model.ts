import { createHmac, timingSafeEqual } from 'node:crypto';
import { CONTROL_CHARS_MESSAGE, Events, NO_CONTROL_CHARS, z } from '@glimpse/contracts';

/** KV bucket of registered webhooks (key: webhook id); the secret is stored, so NATS access must be restricted. */
export const WEBHOOKS_BUCKET = 'glimpse_webhooks';
/** KV bucket of delivery counters (key: webhook id). */
export const STATS_BUCKET = 'glimpse_webhook_stats';
/** Durable JetStream consumer of one webhook on GLIMPSE_EVENTS. */
export const durableName = (id: string): string => `webhook_${id}`;

export const SIGNATURE_HEADER = 'Glimpse-Signature';
export const TIMESTAMP_HEADER = 'Glimpse-Timestamp';
export const EVENT_ID_HEADER = 'Glimpse-Event-Id';
export const EVENT_TYPE_HEADER = 'Glimpse-Event-Type';

const FAMILIES = [...new Set(Events.EVENT_TYPES.map((t) => t.split('.')[0]))];
/** `*` (everything), an event type (`sighting.ended`) or a family (`sighting.*`). */
export const eventFilterSchema = z
  .string()
  .refine(
    (f) => f === '*' || (Events.EVENT_TYPES as string[]).includes(f) || FAMILIES.some((fam) => f === `${fam}.*`),
    {
      message: `must be '*', an event type (${Events.EVENT_TYPES.join(', ')}) or a family such as 'sighting.*'`,
    },
  );

export const createWebhookSchema = z.strictObject({
  // WHATWG URL parsing drops tabs and newlines silently: refuse them rather than store another URL
  url: z.string().max(2000).regex(NO_CONTROL_CHARS, CONTROL_CHARS_MESSAGE),
  secret: z
    .string()
    .min(16, 'must be at least 16 characters (e.g. openssl rand -hex 32)')
    .max(256)
    .regex(NO_CONTROL_CHARS, CONTROL_CHARS_MESSAGE),
  events: z.array(eventFilterSchema).min(1).max(50).default(['*']),
});
export type CreateWebhook = z.infer<typeof createWebhookSchema>;

/** What the KV bucket holds per webhook. */
export const storedWebhookSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  secret: z.string(),
  events: z.array(z.string()),
  createdAt: z.iso.datetime(),
  active: z.boolean(),
});
export type StoredWebhook = z.infer<typeof storedWebhookSchema>;

export const statsSchema = z.object({
  delivered: z.number().int().nonnegative(),
  failedAttempts: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
  lastErrorAt: z.iso.datetime().nullable(),
  lastDeliveredAt: z.iso.datetime().nullable(),
});
export type WebhookStats = z.infer<typeof statsSchema>;
export const emptyStats = (): WebhookStats => ({
  delivered: 0,
  failedAttempts: 0,
  lastError: null,
  lastErrorAt: null,
  lastDeliveredAt: null,
});

/** The public view: never the secret. */
export const publicView = (w: StoredWebhook) => ({
  id: w.id,
  url: w.url,
  events: w.events,
  createdAt: w.createdAt,
  active: w.active,
});

/** Whether an event type passes a webhook's filter. */
export function matchesFilter(filters: readonly string[], type: string): boolean {
  return filters.some((f) => f === '*' || f === type || (f.endsWith('.*') && type.startsWith(f.slice(0, -1))));
}

/** The event type in a subject `glimpse.events.<family>.<action>.<personId>`, or null. */
export function typeOfSubject(subject: string): string | null {
  const parts = subject.split('.');
  return parts.length >= 4 && `${parts[0]}.${parts[1]}` === Events.SUBJECT_PREFIX ? `${parts[2]}.${parts[3]}` : null;
}

/** `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */
export function sign(secret: string, timestamp: string, body: string | Uint8Array): string {
  const h = createHmac('sha256', secret);
  h.update(`${timestamp}.`);
  h.update(body);
  return `sha256=${h.digest('hex')}`;
}

/** Constant-time check of a signature header (what a receiver does). */
export function verify(secret: string, timestamp: string, body: string | Uint8Array, header: string): boolean {
  const want = Buffer.from(sign(secret, timestamp, body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Delay before attempt `failures + 1`: initial · 2^(failures − 1), capped. `failures` ≥ 1. */
export function backoffMs(failures: number, initialMs: number, maxMs: number): number {
  const exp = Math.min(Math.max(failures - 1, 0), 40);
  return Math.min(initialMs * 2 ** exp, maxMs);
}
