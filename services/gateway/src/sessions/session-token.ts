import { createHmac } from 'node:crypto';
import { sourceSchema, WhipOffer, z } from '@glimpse/contracts';
import { signatureMatches } from '../auth/signature';

/**
 * Live-session tokens: `base64url(claims JSON).base64url(HMAC-SHA256(secret, first part))`.
 * Stateless, so any gateway with the same SESSION_SECRET accepts them; short-lived via `exp`.
 */
export const claimsSchema = z.strictObject({
  /** Session id. */
  sid: WhipOffer.sessionIdSchema,
  /** The stream the session publishes, and the only one its WebSocket may subscribe to. */
  streamId: sourceSchema,
  /** Expiry, seconds since the epoch. */
  exp: z.number().int().positive(),
  /** Match threshold chosen when the session was created. */
  thr: z.number().gt(0).lt(2).optional(),
});
export type SessionClaims = z.infer<typeof claimsSchema>;

export type TokenFailure = 'missing' | 'malformed' | 'forged' | 'expired';

export class SessionTokenError extends Error {
  override readonly name = 'SessionTokenError';
  constructor(
    readonly reason: TokenFailure,
    message: string,
  ) {
    super(message);
  }
}

const MAX_TOKEN_LENGTH = 1024;
const PART = /^[A-Za-z0-9_-]+$/;

const mac = (secret: Buffer, payload: string) => createHmac('sha256', secret).update(payload).digest();

export function signSessionToken(claims: SessionClaims, secret: Buffer): string {
  const payload = Buffer.from(JSON.stringify(claimsSchema.parse(claims))).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The claims of a genuine, unexpired token; otherwise a SessionTokenError saying why. */
export function verifySessionToken(
  token: string | null | undefined,
  secret: Buffer,
  nowMs = Date.now(),
): SessionClaims {
  if (!token)
    throw new SessionTokenError('missing', 'a session token is required (create one with POST /api/v1/sessions)');
  const parts = token.length <= MAX_TOKEN_LENGTH ? token.split('.') : [];
  if (parts.length !== 2 || !PART.test(parts[0]) || !PART.test(parts[1])) {
    throw new SessionTokenError('malformed', 'the session token is malformed');
  }
  const [payload, sig] = parts;
  if (!signatureMatches(mac(secret, payload), sig)) {
    throw new SessionTokenError('forged', 'the session token is not valid (wrong signature)');
  }
  let claims: SessionClaims;
  try {
    claims = claimsSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  } catch {
    throw new SessionTokenError('malformed', 'the session token is malformed');
  }
  if (claims.exp * 1000 <= nowMs)
    throw new SessionTokenError('expired', 'the session token has expired: create a new session');
  return claims;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value ?? '');
  return m?.[1];
}
