import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors';

/**
 * Parses environment variables once, against a schema; the error lists every bad variable,
 * so a misconfigured service refuses to start instead of failing later. Every variable the schema
 * knows may instead come from a file named by `<NAME>_FILE` (Docker secrets).
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(withSecretFiles(schema, env));
  if (!result.success) {
    throw invalidEnv(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  // baseEnv's cross-field rules live here: zod cannot `.extend()` an object that has refinements
  if (result.data && typeof result.data === 'object' && 'NATS_URL' in result.data)
    checkNatsEnv(result.data as unknown as BaseEnv);
  return result.data;
}

/** The error for bad variables: `problems` are `NAME: what is wrong`, one per line of the message. */
export function invalidEnv(problems: readonly string[]): ConfigError {
  return new ConfigError(`Invalid environment variables:\n${problems.map((p) => `  ${p}`).join('\n')}`, problems);
}

/**
 * Runs each of a service's config loaders (its own schema, and those of parts that keep their variables in
 * their own module) and throws one ConfigError listing what every one of them refused, so a bad PORT does
 * not hide a bad WEBHOOK_TIMEOUT_MS until the next start.
 */
export function loadParts<T extends Record<string, () => unknown>>(loaders: T): { [K in keyof T]: ReturnType<T[K]> } {
  const out: Record<string, unknown> = {};
  const bad: string[] = [];
  for (const [key, load] of Object.entries(loaders)) {
    try {
      out[key] = load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      bad.push(...(err.problems.length ? err.problems : [err.message]));
    }
  }
  if (bad.length) throw invalidEnv(bad);
  return out as { [K in keyof T]: ReturnType<T[K]> };
}

/**
 * `env` with `<NAME>` read from the file `<NAME>_FILE` names, for each NAME the schema has (one
 * trailing newline dropped). Setting both is an error: which one wins would be a guess.
 */
export function withSecretFiles(schema: z.ZodType, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  if (!shape) return env;
  const out = { ...env };
  for (const name of Object.keys(shape)) {
    const file = env[`${name}_FILE`];
    if (!file) continue;
    if (env[name]) throw invalidEnv([`${name}: set ${name} or ${name}_FILE, not both`]);
    try {
      out[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw invalidEnv([`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
    }
  }
  return out;
}

/** `VAR=` (as compose writes `${VAR:-}`) means unset. */
const optionalString = () => z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

/** Shared variables every service reads. */
export const baseEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  /**
   * Replicas of the JetStream streams and buckets a service creates (1–5). Unset: 3 when the server is
   * part of a cluster of three or more (infra/cluster), else 1.
   */
  NATS_REPLICAS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(5).optional()),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** A name that tells instances of one service apart in health replies and stream ownership. */
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .optional(),
  /** NATS user and password (infra/nats/nats.conf has one user per service); both or neither. */
  NATS_USER: optionalString(),
  NATS_PASSWORD: optionalString(),
  /** NATS token authentication, instead of a user. */
  NATS_TOKEN: optionalString(),
  /** A NATS `.creds` file (JWT + nkey seed), instead of a user or token. */
  NATS_CREDS: optionalString(),
  /** CA bundle (PEM file) that signed the NATS server's certificate; setting it turns TLS on. */
  NATS_TLS_CA: optionalString(),
  /** Client certificate and key (PEM files) when the NATS server verifies clients; both or neither. */
  NATS_TLS_CERT: optionalString(),
  NATS_TLS_KEY: optionalString(),
});
export type BaseEnv = z.infer<typeof baseEnv>;

export const envInt = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
export const envNumber = (def: number, min = -Infinity, max = Infinity) =>
  z.coerce.number().min(min).max(max).default(def);
export const envBool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

// ---- secrets

/** Values from docs, examples and vendor defaults: never accepted as a secret in production. */
export const KNOWN_DEFAULT_SECRETS: ReadonlySet<string> = new Set([
  '',
  'admin',
  'changeme',
  'change-me',
  'change_me',
  'default',
  'example',
  'glimpse',
  'my_secret',
  'nats',
  'password',
  'pass',
  'postgres',
  'root',
  'secret',
  'test',
  'dev-session-secret-change-me-please-32chars',
]);

/** Whether `value` is unset, a known default, or an obvious placeholder (change-me…, xxxx…, aaaa…). */
export function isKnownDefaultSecret(value: string | undefined): boolean {
  if (value === undefined) return true;
  const s = value.trim().toLowerCase();
  return KNOWN_DEFAULT_SECRETS.has(s) || /change.?me|example|default|^x+$|^(.)\1+$|^<.*>$/.test(s);
}

/** A ConfigError naming `name` when, in production, its value is missing or a known default. */
export function assertProductionSecret(
  nodeEnv: string | undefined,
  name: string,
  value: string | undefined,
  hint = 'e.g. openssl rand -hex 32',
): void {
  if (nodeEnv !== 'production' || !isKnownDefaultSecret(value)) return;
  const what = value === undefined || value === '' ? 'is not set' : 'is a known default or example value';
  throw new ConfigError(
    `${name} ${what}: NODE_ENV=production needs a random secret (${hint}), from the environment or ${name}_FILE`,
  );
}

/** The password of a postgres:// URL, for the production check ('' when it has none). */
export function databasePassword(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}

/** baseEnv's pairs, exclusive auth modes and (in production) NATS secrets. */
export function checkNatsEnv(cfg: BaseEnv): void {
  const bad: string[] = [];
  if (!!cfg.NATS_USER !== !!cfg.NATS_PASSWORD)
    bad.push(`${cfg.NATS_USER ? 'NATS_PASSWORD' : 'NATS_USER'}: NATS_USER and NATS_PASSWORD go together`);
  const modes = [cfg.NATS_USER && 'NATS_USER', cfg.NATS_TOKEN && 'NATS_TOKEN', cfg.NATS_CREDS && 'NATS_CREDS'].filter(
    Boolean,
  );
  if (modes.length > 1) bad.push(`${modes.join(', ')}: choose one way to authenticate to NATS`);
  if (!!cfg.NATS_TLS_CERT !== !!cfg.NATS_TLS_KEY) bad.push('NATS_TLS_CERT: NATS_TLS_CERT and NATS_TLS_KEY go together');
  if (bad.length) throw invalidEnv(bad);
  if (cfg.NATS_PASSWORD !== undefined) assertProductionSecret(cfg.NODE_ENV, 'NATS_PASSWORD', cfg.NATS_PASSWORD);
  if (cfg.NATS_TOKEN !== undefined) assertProductionSecret(cfg.NODE_ENV, 'NATS_TOKEN', cfg.NATS_TOKEN);
}

/** What nats.js `connect()` needs for the configured authentication and TLS (empty: neither). */
export interface NatsConnectionSettings {
  user?: string;
  pass?: string;
  token?: string;
  /** Path of a `.creds` file; Bus reads it when connecting. */
  credsFile?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

export function natsConnectionSettings(cfg: Partial<BaseEnv>): NatsConnectionSettings {
  const out: NatsConnectionSettings = {};
  if (cfg.NATS_USER) Object.assign(out, { user: cfg.NATS_USER, pass: cfg.NATS_PASSWORD });
  if (cfg.NATS_TOKEN) out.token = cfg.NATS_TOKEN;
  if (cfg.NATS_CREDS) out.credsFile = cfg.NATS_CREDS;
  if (cfg.NATS_TLS_CA || cfg.NATS_TLS_CERT) {
    out.tls = { caFile: cfg.NATS_TLS_CA, certFile: cfg.NATS_TLS_CERT, keyFile: cfg.NATS_TLS_KEY };
  }
  return out;
}
