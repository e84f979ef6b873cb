import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { z } from '@glimpse/contracts';
import {
  assertProductionSecret,
  baseEnv,
  ConfigError,
  envBool,
  envInt,
  loadConfig,
  loadParts,
} from '@glimpse/platform';
import { isWeakSecret } from './auth/api-key';
import { loadOpenViduConfig, type OpenViduConfig } from './openvidu/openvidu.config';
import { loadWebhooksConfig, type WebhooksConfig } from './webhooks/webhooks.config';

const MiB = 1024 * 1024;

/** The web client's build (apps/web, `npm run build`), from the repository root above services/gateway/{src,dist}. */
export function defaultPublicDir(root = resolve(__dirname, '..', '..', '..')): string {
  return resolve(root, 'apps', 'web', 'dist');
}

export const gatewayEnv = baseEnv.extend({
  PORT: envInt(3000, 0, 65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Largest accepted image body (bytes), raw or multipart. */
  MAX_UPLOAD_BYTES: envInt(20 * MiB, 1),
  /** Images with more pixels than this (width × height, read from the header) are refused. */
  MAX_IMAGE_PIXELS: envInt(40_000_000, 1),
  /** Largest accepted video upload (bytes); videos stream to disk, never to memory. */
  MAX_VIDEO_UPLOAD_BYTES: envInt(200 * MiB, 1),
  /** Where uploaded videos are saved; the capture service must be able to read this path. */
  UPLOAD_DIR: z
    .string()
    .min(1)
    .default('./data/uploads')
    .transform((p) => resolve(p)),
  /** How long one recognize/encode request may wait for the recognizer (ms). */
  RECOGNIZE_TIMEOUT_MS: envInt(30_000, 100),
  /**
   * A frame whose recognizer instance has not listed it in a heartbeat for this long (ms) is called lost
   * (the instance died) and sent again under the same frame id; at least 3 of the recognizers' heartbeat intervals.
   */
  RECOGNIZER_SILENCE_MS: envInt(1_500, 100),
  /**
   * After a recognizer instance is lost or none answers, how long (ms) a frame is sent again (a restarted
   * or another instance) before the request fails with 503; 0: never sent again.
   */
  RECOGNIZER_FAILOVER_MS: envInt(3_000, 0, 60_000),
  /** Per-dependency timeout of /healthz (ms). */
  HEALTH_TIMEOUT_MS: envInt(2_000, 50),
  /** How long list/stop requests wait for every capture instance to answer (ms). */
  GATHER_TIMEOUT_MS: envInt(500, 50),
  /** Timeout of other bus requests (persons, crops, stream start) (ms). */
  REQUEST_TIMEOUT_MS: envInt(10_000, 100),
  /**
   * Audit records (who read or wrote face data; docs/privacy.md) wait in memory at most this many; they
   * go to the matcher in batches off the request path, and past this the oldest are dropped (and counted).
   */
  AUDIT_BUFFER_MAX: envInt(10_000, 1, 1_000_000),
  /** How often buffered audit records are sent (ms). */
  AUDIT_FLUSH_MS: envInt(1_000, 10, 60_000),
  /** Record calls that read or write face data (docs/privacy.md); false only to measure what it costs. */
  AUDIT_ENABLED: envBool(true),
  /** Static web page: the built web client (apps/web/dist). */
  PUBLIC_DIR: z
    .string()
    .min(1)
    .optional()
    .transform((p) => (p ? resolve(p) : defaultPublicDir())),
  /** A WebSocket client with more unsent bytes than this misses messages until it catches up. */
  WS_MAX_BUFFERED_BYTES: envInt(1 * MiB, 1024),
  /** WebSocket ping period (ms); a client that misses one pong is disconnected. */
  WS_PING_INTERVAL_MS: envInt(30_000, 100),
  /**
   * HMAC key of live-session tokens; every gateway of one deployment needs the same. Unset: a
   * random key per process (tokens die with it), with a warning.
   */
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32)').optional(),
  /** Lifetime of a live-session token (s): WHIP POST/DELETE and /ws?token= need an unexpired one. */
  SESSION_TTL_S: envInt(3600, 10, 7 * 24 * 3600),
  /**
   * An admin API key that always works (bootstrap): a `glk_…` key or any secret of 32+ characters.
   * `npm start` generates one into data/admin-api-key. Unset: only keys created through the API.
   */
  // An empty value (e.g. compose's `${ADMIN_API_KEY:-}`) counts as unset.
  ADMIN_API_KEY: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(32, 'must be a glk_… key or at least 32 characters (e.g. openssl rand -base64 32)').optional(),
  ),
  /** A live stream with no status event for this long (ms) is checked; if no capture instance has it, clients hear it failed. */
  LIVE_STATUS_TIMEOUT_MS: envInt(5_000, 500),
  /**
   * Browser origins (comma-separated, e.g. `https://app.example.com`) allowed to call the API and open
   * /ws from another site, with credentials. Empty (default): same origin only.
   */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const list = v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean);
      for (const o of list) {
        if (!isOrigin(o))
          ctx.addIssue({ code: 'custom', message: `'${o}' is not an origin (scheme://host[:port], no path)` });
      }
      return list;
    }),
  /**
   * Express `trust proxy`: which proxies' X-Forwarded-For names the client (rate limits key on the
   * client IP). `false` (default): none; `true`; a hop count; or addresses/subnets (`loopback, 10.0.0.0/8`).
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v): boolean | number | string =>
      v === 'true' ? true : v === 'false' || v === '' ? false : /^\d+$/.test(v) ? Number(v) : v,
    ),
  /** More CSP connect-src sources for the page, space-separated: OpenVidu mode needs its wss:// address (e.g. `wss://ov.example.com:4443`). */
  CSP_CONNECT_SRC: z
    .string()
    .default('')
    .transform((v) => v.split(/\s+/).filter(Boolean))
    .refine(
      (l) => l.every((s) => /^(wss?|https?):\/\/[^\s;,']+$/.test(s)),
      'expected ws(s):// or http(s):// sources separated by spaces',
    ),
  /** Strict-Transport-Security max-age (s); set it only when clients reach the gateway over https. 0 (default): no header. */
  HSTS_MAX_AGE_S: envInt(0, 0),
  /** Live sessions (POST /api/v1/sessions) and WHIP offers per minute, per client IP and per API key (or session); 0: unlimited. */
  RATE_LIMIT_SESSIONS_PER_MIN: envInt(30, 0),
  /** Sign-in attempts (POST /api/v1/auth/session) and requests with invalid credentials per minute, per client IP; 0: unlimited. */
  RATE_LIMIT_AUTH_PER_MIN: envInt(30, 0),
  /** /api/v1 requests per minute per API key (the UI cookie counts as its key); 0: unlimited. */
  RATE_LIMIT_API_PER_MIN: envInt(1200, 0),
  /** Clients each rate limiter remembers at most (least recently seen are forgotten first). */
  RATE_LIMIT_MAX_CLIENTS: envInt(10_000, 100),
  /** Serve Prometheus metrics on this port at /metrics (no API key; keep it off the public network); 0 (default): none. */
  METRICS_PORT: envInt(0, 0, 65535),
});

export type GatewayConfig = z.infer<typeof gatewayEnv> & {
  INSTANCE_ID: string;
  /** OPENVIDU_*: null when OpenVidu mode is off (see openvidu.config.ts). */
  openvidu: OpenViduConfig | null;
  /** WEBHOOK_* (see webhooks.config.ts). */
  webhooks: WebhooksConfig;
};

function isOrigin(o: string): boolean {
  try {
    const u = new URL(o);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o;
  } catch {
    return false;
  }
}

export const GATEWAY_CONFIG = Symbol('GatewayConfig');

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const { cfg, openvidu, webhooks } = loadParts({
    cfg: () => loadConfig(gatewayEnv, env),
    openvidu: () => loadOpenViduConfig(env),
    webhooks: () => loadWebhooksConfig(env),
  });
  if (cfg.NODE_ENV === 'production' && isWeakSecret(cfg.SESSION_SECRET)) {
    throw new ConfigError(
      'SESSION_SECRET must be set to a random secret in production (at least 32 characters, not an example value): e.g. openssl rand -hex 32',
    );
  }
  // unset is fine (keys are then created with `npm run apikey`); an example value is not
  if (cfg.ADMIN_API_KEY !== undefined)
    assertProductionSecret(cfg.NODE_ENV, 'ADMIN_API_KEY', cfg.ADMIN_API_KEY, 'e.g. openssl rand -base64 32');
  return {
    ...cfg,
    INSTANCE_ID: cfg.INSTANCE_ID ?? `gateway-${hostname()}-${process.pid}`,
    openvidu,
    webhooks,
  };
}
