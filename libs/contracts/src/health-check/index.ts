import { z } from 'zod';
import { defineRequest } from '../common/define';

export const serviceNameSchema = z.enum(['gateway', 'capture', 'recognizer', 'matcher']);
export type ServiceName = z.infer<typeof serviceNameSchema>;

/** `glimpse.health.<service>`: any one instance of that service answers with its dependencies. */
export const subjectFor = (service: ServiceName) => `glimpse.health.${service}`;

export const request = z.strictObject({});

export const checkSchema = z.strictObject({ ok: z.boolean(), detail: z.string().optional() });
export const reply = z.strictObject({
  service: serviceNameSchema,
  instance: z.string(),
  ok: z.boolean(),
  checks: z.record(z.string(), checkSchema),
});
export type Reply = z.infer<typeof reply>;

export const contractFor = (service: ServiceName) => defineRequest(subjectFor(service), request, reply);
