import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from '@glimpse/contracts';
import { isKnownDefaultSecret } from '@glimpse/platform';
import { signatureMatches } from './signature';

/** API-key scopes; `admin` implies `write`, which implies `read`. */
export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
export const scopeSchema = z.enum(SCOPES);

const RANK: Record<Scope, number> = { read: 1, write: 2, admin: 3 };

/** Whether holding `granted` allows something that needs `needed`. */
export function allows(granted: readonly Scope[], needed: Scope): boolean {
  return granted.some((s) => RANK[s] >= RANK[needed]);
}

/** Every scope implied by the granted ones (admin → admin, write, read). */
export function expandScopes(granted: readonly Scope[]): Scope[] {
  return SCOPES.filter((s) => allows(granted, s));
}

export const KEY_PREFIX = 'glk_';
const KEY_RE = /^glk_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

export interface ParsedKey {
  id: string;
  secret: string;
}

/** A new key `glk_<id>_<secret>`: 16 alphanumeric characters of id, 32 random bytes of secret (base64url). */
export function generateApiKey(): ParsedKey & { key: string } {
  const id = randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 16).padEnd(16, 'x');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, key: `${KEY_PREFIX}${id}_${secret}` };
}

/** The id and secret of a well-formed key, or null. */
export function parseApiKey(key: string | null | undefined): ParsedKey | null {
  if (!key || key.length > 200) return null;
  const m = KEY_RE.exec(key);
  return m ? { id: m[1], secret: m[2] } : null;
}

/** sha256 hex of the secret: what is stored, never the secret itself. */
export const hashSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

/** Constant-time comparison of a secret with a stored hash. */
export function verifySecret(secret: string, hash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(hash, 'hex');
  return stored.length === given.length && timingSafeEqual(given, stored);
}

// ---- UI session cookie: `base64url(claims).base64url(HMAC-SHA256(secret, claims))`, as live-session tokens.

export const UI_COOKIE = 'glimpse_ui';

export const uiClaimsSchema = z.strictObject({
  /** The key the session was opened with (its id; the bootstrap key is `bootstrap`). */
  kid: z.string().min(1).max(64),
  /** This sign-in's id, so that signing out revokes it everywhere. */
  sid: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  scopes: z.array(scopeSchema).min(1),
  /** Expiry, seconds since the epoch. */
  exp: z.number().int().positive(),
});
export type UiClaims = z.infer<typeof uiClaimsSchema>;

const mac = (secret: Buffer, payload: string) => createHmac('sha256', secret).update(`ui.${payload}`).digest();
const PART = /^[A-Za-z0-9_-]+$/;

export function signUiSession(claims: UiClaims, secret: Buffer): string {
  const payload = Buffer.from(JSON.stringify(uiClaimsSchema.parse(claims))).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The claims of a genuine, unexpired cookie value, else null. */
export function verifyUiSession(value: string | null | undefined, secret: Buffer, nowMs = Date.now()): UiClaims | null {
  if (!value || value.length > 2048) return null;
  const parts = value.split('.');
  if (parts.length !== 2 || !PART.test(parts[0]) || !PART.test(parts[1])) return null;
  if (!signatureMatches(mac(secret, parts[0]), parts[1])) return null;
  try {
    const claims = uiClaimsSchema.parse(JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')));
    return claims.exp * 1000 > nowMs ? claims : null;
  } catch {
    return null;
  }
}

/** A cookie value as sent: a malformed %-escape is no reason for a 500, the signature check refuses it. */
function decodeCookie(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** One cookie of a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeCookie(part.slice(i + 1).trim());
  }
  return undefined;
}

/** Session secrets that must never sign anything in production: unset, or a known example value. */
export const isWeakSecret = (secret: string | undefined): boolean => isKnownDefaultSecret(secret);
