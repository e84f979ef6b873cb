import { Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { HttpProblem } from '../problem';
import { bearerToken, KEY_PREFIX_FREE } from './bearer';
import { ACCESS_METADATA, LIVE_METADATA, resolveAccess, type RouteAccess } from './access';
import { allows, type Scope } from './api-key';
import { matchedRoute } from './route-table';
import { AuthService, type Principal } from './auth.service';
import { SessionService } from '../sessions/session.service';

const REALM = 'Bearer realm="glimpse"';

/** What the guard found: set on the request for handlers (`req.principal`). */
export type RequestPrincipal = Principal | { kind: 'session'; scopes: [] };
export const principalOf = (req: Request): RequestPrincipal | undefined => (req as Request & { principal?: RequestPrincipal }).principal;
export const setPrincipal = (req: Request, p: RequestPrincipal): void => {
  (req as Request & { principal?: RequestPrincipal }).principal = p;
};

/**
 * Authorization from the handler Nest picked, never from the path: its declared access (auth/access.ts,
 * read through the Reflector) is `@Public()`, `@RequireScope(scope)` (an API key or the UI session
 * cookie with that scope: missing or invalid credentials are a 401, too small a scope a 403) and/or
 * `@LiveSession(kind)` (a camera session's token, checked by earlyAuth and the handler). earlyAuth
 * (security/early-auth.ts) already checked the same declaration before the body was read, through the
 * route table; a handler whose access differs from what earlyAuth matched is refused, so the two never disagree.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly log = new Logger(AuthGuard.name);

  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const handler = `${ctx.getClass().name}.${ctx.getHandler().name}`;
    const access = this.accessOf(ctx, handler);
    const early = matchedRoute(req);
    // routes that can match the same path must declare the same access (route table), so comparing access, not handlers, is exact
    if (early && JSON.stringify(early.route.access) !== JSON.stringify(access)) {
      this.log.error(`${req.method} ${req.path}: earlyAuth matched ${early.route.handler}, Nest picked ${handler} with other access`);
      throw new HttpProblem('FORBIDDEN', 'this request cannot be authorized');
    }
    if (access.public) return true;
    const principal = principalOf(req);
    // a session token only ever gets here on a live route, after earlyAuth's check (its stream's crops, its session's WHIP)
    if (principal?.kind === 'session') {
      if (access.live) return true;
      throw new HttpProblem('FORBIDDEN', 'a session token is only valid for its own live stream');
    }
    if (principal && access.scope && allows(principal.scopes, access.scope)) return true;
    return this.authorizeHere(req, access);
  }

  /** The declared access: a handler without one is refused (the route table refuses to start with one anyway). */
  private accessOf(ctx: ExecutionContext, handler: string): RouteAccess {
    const targets = [ctx.getHandler(), ctx.getClass()];
    try {
      return resolveAccess(this.reflector.getAllAndOverride(ACCESS_METADATA, targets), this.reflector.getAllAndOverride(LIVE_METADATA, targets), handler);
    } catch (err) {
      this.log.error(String(err));
      throw new HttpProblem('FORBIDDEN', 'this route declares no access');
    }
  }

  /** Without earlyAuth's verdict (an app without it, or too small a scope there): check the credentials here. */
  private async authorizeHere(req: Request, access: Exclude<RouteAccess, { public: true }>): Promise<boolean> {
    const bearer = bearerToken(req.headers.authorization);
    if (access.live === 'whip') return true; // the handler checks the session token (401/403) before reading the offer
    if (access.live === 'stream' && KEY_PREFIX_FREE(bearer) && !this.auth.isBootstrap(bearer)) {
      this.sessions.verify(bearer); // 401 unless genuine; the handler checks it is this stream's
      setPrincipal(req, { kind: 'session', scopes: [] });
      return true;
    }
    if (!access.scope) throw new HttpProblem('UNAUTHORIZED', 'this route takes a live session token', { 'WWW-Authenticate': REALM });
    setPrincipal(req, await keyPrincipal(this.auth, req, access.scope));
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
