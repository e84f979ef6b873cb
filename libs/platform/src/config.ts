import { z } from 'zod';
import { ConfigError } from './errors';

/**
 * Parses environment variables once, against a schema; the error lists every bad variable,
 * so a misconfigured service refuses to start instead of failing later.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new ConfigError(`Invalid environment variables:\n${lines.join('\n')}`);
}

/** Shared variables every service reads. */
export const baseEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** A name that tells instances of one service apart in health replies and stream ownership. */
  INSTANCE_ID: z.string().regex(/^[A-Za-z0-9_.-]+$/).optional(),
});

export const envInt = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
export const envNumber = (def: number, min = -Infinity, max = Infinity) =>
  z.coerce.number().min(min).max(max).default(def);
export const envBool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
