import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { HttpProblem } from '../problem';
import { bearerToken, KEY_PREFIX_FREE } from './bearer';
import { allows, isAuthSessionPath, requiredScope, type Scope } from './api-key';
import { AuthService, type Principal } from './auth.service';
import { SessionService } from '../sessions/session.service';

const REALM = 'Bearer realm="glimpse"';

/** What the guard found: set on the request for handlers (`req.principal`). */
export type RequestPrincipal = Principal | { kind: 'session'; scopes: [] };
export const principalOf = (req: Request): RequestPrincipal | undefined => (req as Request & { principal?: RequestPrincipal }).principal;
export const setPrincipal = (req: Request, p: RequestPrincipal): void => {
  (req as Request & { principal?: RequestPrincipal }).principal = p;
};

/** Routes that take a camera session's bearer token (checked by their handler) instead of a key. */
function liveRoute(method: string, path: string): 'whip' | 'stream' | 'crop' | null {
  if (/^\/api\/v1\/whip(\/|$)/.test(path)) return 'whip';
  if ((method === 'PATCH' || method === 'DELETE') && /^\/api\/v1\/streams\/[^/]+\/?$/.test(path)) return 'stream';
  if ((method === 'GET' || method === 'HEAD') && /^\/api\/v1\/faces\/[^/]+\/crop\/?$/.test(path)) return 'crop';
  return null;
}

/**
 * Every `/api/v1` route needs an API key or the UI session cookie with the route's scope: GET/HEAD
 * `read`, other methods `write`, `/api/v1/api-keys*` and `/api/v1/webhooks*` `admin`. Missing or
 * invalid credentials are a 401, too small a scope a 403. Elsewhere (/healthz, the web client, the
 * API docs) nothing is asked; WHIP and a live stream's PATCH/DELETE also take its session token, and
 * so do crops of faces seen in that session's stream (checked by earlyAuth).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const path = req.path;
    const needed = requiredScope(req.method, path);
    if (!needed || isAuthSessionPath(path)) return true;

    const live = liveRoute(req.method, path);
    const early = principalOf(req);
    // earlyAuth (security/early-auth.ts) found the caller before the body was read; a session token
    // only ever gets there on a live route, after its own check (its stream's crops, its session's WHIP)
    if (early?.kind === 'session') {
      if (live) return true;
      throw new HttpProblem('FORBIDDEN', 'a session token is only valid for its own live stream');
    }
    if (early && allows(early.scopes, needed)) return true;
    const bearer = bearerToken(req.headers.authorization);
    if (live === 'whip') return true; // the handler checks the session token (401/403) before reading the offer
    if (live === 'stream' && KEY_PREFIX_FREE(bearer) && !this.auth.isBootstrap(bearer)) {
      this.sessions.verify(bearer); // 401 unless genuine; the handler checks it is this stream's
      setPrincipal(req, { kind: 'session', scopes: [] });
      return true;
    }

    setPrincipal(req, await keyPrincipal(this.auth, req, needed));
    return true;
  }
}

/**
 * The API key or UI cookie of the request, if it has the `needed` scope: a 401 when there is none or it is
 * not valid (revoked, expired, mistyped), a 403 when its scopes fall short. Shared with earlyAuth.
 */
export async function keyPrincipal(auth: AuthService, req: Request, needed: Scope): Promise<Principal> {
  const principal = await auth.authenticate(req);
  if (principal === undefined) {
    throw new HttpProblem('UNAUTHORIZED', 'authentication required: send an API key (Authorization: Bearer glk_… or X-API-Key) or sign in', {
      'WWW-Authenticate': REALM,
    });
  }
  if (principal === null) {
    throw new HttpProblem('UNAUTHORIZED', 'the API key or session is not valid (revoked, expired or mistyped)', {
      'WWW-Authenticate': `${REALM}, error="invalid_token"`,
    });
  }
  if (!allows(principal.scopes, needed)) {
    throw new HttpProblem('FORBIDDEN', `this needs the '${needed}' scope; the credentials have ${principal.scopes.join(', ')}`);
  }
  return principal;
}
