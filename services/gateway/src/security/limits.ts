import type { IncomingMessage } from 'node:http';
import { SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import type { GatewayConfig } from '../config';
import { TokenBuckets, type LimitDecision } from './token-bucket';

/** A refused request: which limit, and when to come back. */
export interface Refusal extends LimitDecision {
  detail: string;
}

/** Routes with budgets of their own, declared on the handler with `@RateLimited(kind)` and read by AuthGuard. */
export const LIMITED_ROUTES = ['sign-in', 'session', 'whip'] as const;
export type LimitedKind = (typeof LIMITED_ROUTES)[number];
export const RATE_LIMIT_METADATA = 'glimpse:rate-limit';

/** Sign-in attempts, new live sessions, or WHIP offers (per session: the route's `:sessionId`). */
export const RateLimited = (kind: LimitedKind) => SetMetadata(RATE_LIMIT_METADATA, kind);

/** The limited route a request is on: its kind, and for WHIP the session it names. */
export type LimitedRoute = { kind: 'sign-in' } | { kind: 'session' } | { kind: 'whip'; sessionId: string } | null;

/**
 * The gateway's rate limits (see docs/operations.md's configuration table). Client IPs come from `req.ip`, so
 * they follow TRUST_PROXY; credentials are keyed by API key id (a UI cookie counts as its key).
 */
export class RateLimits {
  /** Sign-in attempts and requests with invalid credentials, per client IP (brute force of keys). */
  readonly auth: TokenBuckets;
  private readonly sessionsByIp: TokenBuckets;
  private readonly sessionsByKey: TokenBuckets;
  private readonly apiByKey: TokenBuckets;

  constructor(
    cfg: Pick<
      GatewayConfig,
      'RATE_LIMIT_SESSIONS_PER_MIN' | 'RATE_LIMIT_AUTH_PER_MIN' | 'RATE_LIMIT_API_PER_MIN' | 'RATE_LIMIT_MAX_CLIENTS'
    >,
  ) {
    const maxKeys = cfg.RATE_LIMIT_MAX_CLIENTS;
    this.auth = new TokenBuckets({ perMinute: cfg.RATE_LIMIT_AUTH_PER_MIN, maxKeys });
    this.sessionsByIp = new TokenBuckets({ perMinute: cfg.RATE_LIMIT_SESSIONS_PER_MIN, maxKeys });
    this.sessionsByKey = new TokenBuckets({ perMinute: cfg.RATE_LIMIT_SESSIONS_PER_MIN, maxKeys });
    this.apiByKey = new TokenBuckets({ perMinute: cfg.RATE_LIMIT_API_PER_MIN, maxKeys });
  }

  /** Before credentials are looked at: per client IP. */
  beforeAuth(req: Request, route: LimitedRoute = null): Refusal | null {
    const ip = clientIp(req);
    if (route?.kind === 'sign-in') return refused(this.auth.take(ip), 'too many sign-in attempts from this address');
    // an address that keeps sending bad credentials is refused before its next guess is checked
    const blocked = refused(this.auth.peek(ip), 'too many requests with invalid credentials from this address');
    if (blocked) return blocked;
    if (route?.kind === 'session' || route?.kind === 'whip')
      return refused(this.sessionsByIp.take(ip), 'too many live sessions or WHIP offers from this address');
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
  afterAuth(keyId: string | undefined, route: LimitedRoute = null): Refusal | null {
    if (route?.kind === 'whip')
      return refused(this.sessionsByKey.take(`session:${route.sessionId}`), 'too many WHIP offers for this session');
    if (keyId === undefined) return null;
    if (route?.kind === 'session') {
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
  const view = expressApp?.request
    ? (Object.assign(Object.create(expressApp.request), {
        headers: req.headers,
        socket: req.socket,
        connection: req.socket,
      }) as { ip?: string })
    : undefined;
  return view?.ip ?? req.socket?.remoteAddress ?? 'unknown';
}

const refused = (d: LimitDecision, detail: string): Refusal | null =>
  d.ok ? null : { ...d, detail: `${detail}; retry in ${d.retryAfterS} s` };
