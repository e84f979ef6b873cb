import { z } from '@glimpse/contracts';
import { envInt, loadConfig } from '@glimpse/platform';

export const webhooksEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Allow webhook URLs on loopback/private addresses. Default: true, except false when NODE_ENV=production. */
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1' || v === 'yes')),
  /** Timeout of one delivery POST (ms). */
  WEBHOOK_TIMEOUT_MS: envInt(10_000, 100, 300_000),
  /** First retry delay (ms); doubles per failed attempt. */
  WEBHOOK_INITIAL_BACKOFF_MS: envInt(1_000, 10),
  /** Longest retry delay (ms). */
  WEBHOOK_MAX_BACKOFF_MS: envInt(60_000, 10),
});

export interface WebhooksConfig {
  allowPrivate: boolean;
  timeoutMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const WEBHOOKS_CONFIG = Symbol('WebhooksConfig');

export function loadWebhooksConfig(env: NodeJS.ProcessEnv = process.env): WebhooksConfig {
  // An unset (or empty) WEBHOOK_ALLOW_PRIVATE stays undefined, so that NODE_ENV decides.
  const cfg = loadConfig(webhooksEnv, { ...env, WEBHOOK_ALLOW_PRIVATE: env.WEBHOOK_ALLOW_PRIVATE || undefined });
  return {
    allowPrivate: cfg.WEBHOOK_ALLOW_PRIVATE ?? cfg.NODE_ENV !== 'production',
    timeoutMs: cfg.WEBHOOK_TIMEOUT_MS,
    initialBackoffMs: cfg.WEBHOOK_INITIAL_BACKOFF_MS,
    maxBackoffMs: Math.max(cfg.WEBHOOK_MAX_BACKOFF_MS, cfg.WEBHOOK_INITIAL_BACKOFF_MS),
  };
}
