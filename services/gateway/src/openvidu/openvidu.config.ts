import { z } from '@glimpse/contracts';
import { assertProductionSecret, envInt, loadConfig } from '@glimpse/platform';

/** `VAR=` (as compose writes `${VAR:-}`) means unset. */
const emptyAsUnset = (v: unknown) => (v === '' ? undefined : v);

/**
 * OpenVidu mode is on when both OPENVIDU_URL and OPENVIDU_SECRET are set; one without the other is
 * a configuration error (the gateway refuses to start), not a silent fallback to WHIP.
 */
export const openViduEnv = z
  .object({
    /** Where the gateway reaches openvidu-server's REST API (and capture its WebSocket), e.g. https://ov.example.com or http://openvidu:5443. */
    OPENVIDU_URL: z.preprocess(
      emptyAsUnset,
      z.url({ protocol: /^https?$/, message: 'expected an http(s) URL, e.g. https://openvidu.example.com' }).optional(),
    ),
    OPENVIDU_SECRET: z.preprocess(emptyAsUnset, z.string().optional()),
    /** Timeout of each OpenVidu REST call (ms). */
    OPENVIDU_TIMEOUT_MS: envInt(10_000, 100),
  })
  .superRefine((env, ctx) => {
    if (!!env.OPENVIDU_URL === !!env.OPENVIDU_SECRET) return;
    const missing = env.OPENVIDU_URL ? 'OPENVIDU_SECRET' : 'OPENVIDU_URL';
    ctx.addIssue({
      code: 'custom',
      path: [missing],
      message: 'OPENVIDU_URL and OPENVIDU_SECRET go together: set both to enable OpenVidu mode, or neither',
    });
  });

export interface OpenViduConfig {
  /** Without a trailing slash. */
  url: string;
  secret: string;
  timeoutMs: number;
}

export const OPENVIDU_CONFIG = Symbol('OpenViduConfig');

/** null when OpenVidu mode is off; throws ConfigError (listing the variables) when half set. */
export function loadOpenViduConfig(env: NodeJS.ProcessEnv): OpenViduConfig | null {
  const cfg = loadConfig(openViduEnv, env);
  if (!cfg.OPENVIDU_URL || !cfg.OPENVIDU_SECRET) return null;
  assertProductionSecret(
    env.NODE_ENV,
    'OPENVIDU_SECRET',
    cfg.OPENVIDU_SECRET,
    "e.g. openssl rand -hex 24; MY_SECRET is OpenVidu's example",
  );
  return { url: cfg.OPENVIDU_URL.replace(/\/+$/, ''), secret: cfg.OPENVIDU_SECRET, timeoutMs: cfg.OPENVIDU_TIMEOUT_MS };
}
