import { z } from '@glimpse/contracts';
import { addressPolicy, envBool, envInt, isAllowedHostEntry, loadConfig, type AddressPolicy } from '@glimpse/platform';

/** A comma-separated list: blanks dropped, each item trimmed. */
const csv = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

export const webhooksEnv = z.object({
  /**
   * Allow every loopback/private/link-local destination. Default false in every mode (the gateway, NATS and
   * cloud metadata are such destinations); prefer WEBHOOK_ALLOWED_HOSTS for a receiver on the LAN.
   */
  WEBHOOK_ALLOW_PRIVATE: envBool(false),
  /** Host names, addresses and CIDRs that may be private anyway: `hooks.lan,192.168.1.0/24,127.0.0.1`. */
  WEBHOOK_ALLOWED_HOSTS: csv.pipe(
    z.array(z.string().refine(isAllowedHostEntry, 'expected host names, addresses or CIDRs')),
  ),
  /** Timeout of one delivery POST (ms). */
  WEBHOOK_TIMEOUT_MS: envInt(10_000, 100, 300_000),
  /** First retry delay (ms); doubles per failed attempt. */
  WEBHOOK_INITIAL_BACKOFF_MS: envInt(1_000, 10),
  /** Longest retry delay (ms). */
  WEBHOOK_MAX_BACKOFF_MS: envInt(60_000, 10),
});

export interface WebhooksConfig {
  /** Which destinations deliveries may reach (checked at registration and at every connection). */
  policy: AddressPolicy;
  timeoutMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const WEBHOOKS_CONFIG = Symbol('WebhooksConfig');

export function loadWebhooksConfig(env: NodeJS.ProcessEnv): WebhooksConfig {
  // An empty WEBHOOK_ALLOW_PRIVATE (docker-compose `${VAR:-}`) means unset.
  const cfg = loadConfig(webhooksEnv, { ...env, WEBHOOK_ALLOW_PRIVATE: env.WEBHOOK_ALLOW_PRIVATE || undefined });
  return {
    policy: addressPolicy(cfg.WEBHOOK_ALLOW_PRIVATE, cfg.WEBHOOK_ALLOWED_HOSTS),
    timeoutMs: cfg.WEBHOOK_TIMEOUT_MS,
    initialBackoffMs: cfg.WEBHOOK_INITIAL_BACKOFF_MS,
    maxBackoffMs: Math.max(cfg.WEBHOOK_MAX_BACKOFF_MS, cfg.WEBHOOK_INITIAL_BACKOFF_MS),
  };
}
