import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import type { GatewayConfig } from '../config';
import { TokenBuckets, type LimitDecision } from './token-bucket';

/** A refused request: which limit, and when to come back. */
export interface Refusal extends LimitDecision {
  detail: string;
}

const SIGN_IN = /^\/api\/v1\/auth\/session\/?$/;
const SESSIONS = /^\/api\/v1\/sessions\/?$/;
const WHIP_OFFER = /^\/api\/v1\/whip\/([^/]+)\/?$/;

/** Which session-creating route this is: a new session, a WHIP offer (with its session id), or neither. */
export function sessionRoute(method: string, path: string): { kind: 'session' } | { kind: 'whip'; sessionId: string } | null {
  if (method !== 'POST') return null;
  if (SESSIONS.test(path)) return { kind: 'session' };
  const m = WHIP_OFFER.exec(path);
  return m ? { kind: 'whip', sessionId: m[1] } : null;
}

export const isSignIn = (method: string, path: string) => method === 'POST' && SIGN_IN.test(path);

/**
 * The gateway's rate limits (see the README's config table). Client IPs come from `req.ip`, so
 * they follow TRUST_PROXY; credentials are keyed by API key id (a UI cookie counts as its key).
 */
export class RateLimits {
  /** Sign-in attempts and requests with invalid credentials, per client IP (brute force of keys). */
  readonly auth: TokenBuckets;
  private readonly sessionsByIp: TokenBuckets;
  private readonly sessionsByKey: TokenBuckets;
  private readonly apiByKey: TokenBuckets;

  constructor(cfg: Pick<GatewayConfig, 'RATE_LIMIT_SESSIONS_PER_MIN' | 'RATE_LIMIT_AUTH_PER_MIN' | 'RATE_LIMIT_API_PER_MIN' | 'RATE_LIMIT_MAX_CLIENTS'>) {
    const maxKeys = cfg.RATE_LIMIT_MAX_CLIENTS;
    this.auth = new TokenBuckets({ perMinute: cfg.RATE_LIMIT_AUTH_PER_MIN, maxKeys });
    this.sessionsByIp = new TokenBuckets({ perMinute: cfg.RATE_LIMIT_SESSIONS_PER_MIN, maxKeys });
    this.sessionsByKey = new TokenBuckets({ perMinute: cfg.RATE_LIMIT_SESSIONS_PER_MIN, maxKeys });
    this.apiByKey = new TokenBuckets({ perMinute: cfg.RATE_LIMIT_API_PER_MIN, maxKeys });
  }

  /** Before credentials are looked at: per client IP. */
  beforeAuth(req: Request): Refusal | null {
    const ip = clientIp(req);
    if (isSignIn(req.method, req.path)) return refused(this.auth.take(ip), 'too many sign-in attempts from this address');
    // an address that keeps sending bad credentials is refused before its next guess is checked
    const blocked = refused(this.auth.peek(ip), 'too many requests with invalid credentials from this address');
    if (blocked) return blocked;
    if (sessionRoute(req.method, req.path)) return refused(this.sessionsByIp.take(ip), 'too many live sessions or WHIP offers from this address');
    return null;
  }

  /** A request with invalid credentials: counts against its address. */
  failedAuth(req: Request): void {
    this.auth.take(clientIp(req));
  }

  /**
   * A WebSocket upgrade (`/ws?key=`, `?token=`, cookie) from `ip`: refused while the address is over its
   * failed-auth budget, the same one HTTP guesses spend (`failedAuthFrom` counts a wrong WS credential).
   */
  wsBlocked(ip: string): Refusal | null {
    return refused(this.auth.peek(ip), 'too many requests with invalid credentials from this address');
  }

  /** A WebSocket upgrade with an invalid credential: counts against its address. */
  failedAuthFrom(ip: string): void {
    this.auth.take(ip);
  }

  /** After authentication: per API key (`keyId`), or per live session for WHIP offers. */
  afterAuth(req: Request, keyId: string | undefined): Refusal | null {
    const route = sessionRoute(req.method, req.path);
    if (route?.kind === 'whip') return refused(this.sessionsByKey.take(`session:${route.sessionId}`), 'too many WHIP offers for this session');
    if (keyId === undefined) return null;
    if (route) {
      const r = refused(this.sessionsByKey.take(`key:${keyId}`), 'too many live sessions for this API key');
      if (r) return r;
    }
    return refused(this.apiByKey.take(keyId), 'too many requests for this API key');
  }
}

export const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/**
 * The client IP of a raw upgrade request, as Express would compute `req.ip` for it (its `trust proxy`
 * setting, X-Forwarded-For): read through the Express app's request prototype, so HTTP and WS agree.
 */
export function upgradeClientIp(req: IncomingMessage, expressApp: { request?: object } | undefined): string {
  const view = expressApp?.request ? (Object.assign(Object.create(expressApp.request), { headers: req.headers, socket: req.socket, connection: req.socket }) as { ip?: string }) : undefined;
  return view?.ip ?? req.socket?.remoteAddress ?? 'unknown';
}

const refused = (d: LimitDecision, detail: string): Refusal | null => (d.ok ? null : { ...d, detail: `${detail}; retry in ${d.retryAfterS} s` });
