import { Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { HttpProblem } from '../problem';
import { bearerToken, KEY_PREFIX_FREE } from './bearer';
import { ACCESS_METADATA, LIVE_METADATA, resolveAccess, type LiveKind, type RouteAccess } from './access';
import { allows, type Scope } from './api-key';
import { LIVE_PARAM } from './route-table';
import { AuthService, type Principal } from './auth.service';
import { SessionService } from '../sessions/session.service';
import { RATE_LIMIT_METADATA, RateLimits, type LimitedKind, type LimitedRoute } from '../security/limits';
import { LiveFaces } from '../security/live-faces';
import { isApiPath } from '../security/path';
import { TooManyRequests } from '../security/respond';

const REALM = 'Bearer realm="glimpse"';

/** What the guard found: set on the request for handlers (`req.principal`). */
export type RequestPrincipal = Principal | { kind: 'session'; scopes: [] };
export const principalOf = (req: Request): RequestPrincipal | undefined =>
  (req as Request & { principal?: RequestPrincipal }).principal;
export const setPrincipal = (req: Request, p: RequestPrincipal): void => {
  (req as Request & { principal?: RequestPrincipal }).principal = p;
};

/** Set once the guard let a request through: until then, a refusal leaves the body unread and closes the connection. */
export const isAdmitted = (req: Request): boolean =>
  (req as Request & { glimpseAdmitted?: boolean }).glimpseAdmitted === true;
const admit = (req: Request): true => ((req as Request & { glimpseAdmitted?: boolean }).glimpseAdmitted = true);

/**
 * Authorization from the handler Nest picked, never from the path: its declared access (auth/access.ts,
 * read through the Reflector) is `@Public()`, `@RequireScope(scope)` (an API key or the UI session
 * cookie with that scope: missing or invalid credentials are a 401, too small a scope a 403) and/or
 * `@LiveSession(kind)` (a camera session's token for the resource its path names). Guards run before
 * interceptors, and bodies are read by interceptors (http/body.ts): a refused request (401, 403, 429)
 * never has its body read. Per-address and per-key rate limits are spent here too.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly log = new Logger(AuthGuard.name);

  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionService,
    private readonly liveFaces: LiveFaces,
    private readonly limits: RateLimits,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const access = this.accessOf(ctx, `${ctx.getClass().name}.${ctx.getHandler().name}`);
    if (access.public && !isApiPath(req.path)) return admit(req); // /healthz: public, and not rate-limited
    const limited = this.limitedRoute(ctx, req);
    const early = this.limits.beforeAuth(req, limited);
    if (early) throw new TooManyRequests(early.detail, early.retryAfterS);
    let principal: RequestPrincipal | null;
    try {
      principal = await this.authenticate(req, access);
    } catch (err) {
      // a wrong guess counts against the address; a request without any credential is no guess
      if (
        err instanceof HttpProblem &&
        err.code === 'UNAUTHORIZED' &&
        /invalid_token/.test(err.headers['WWW-Authenticate'] ?? '')
      )
        this.limits.failedAuth(req);
      throw err;
    }
    if (principal) setPrincipal(req, principal);
    const later = this.limits.afterAuth(principal && 'keyId' in principal ? principal.keyId : undefined, limited);
    if (later) throw new TooManyRequests(later.detail, later.retryAfterS);
    return admit(req);
  }

  /** The declared access: a handler without one is refused (the route table refuses to start with one anyway). */
  private accessOf(ctx: ExecutionContext, handler: string): RouteAccess {
    const targets = [ctx.getHandler(), ctx.getClass()];
    try {
      return resolveAccess(
        this.reflector.getAllAndOverride(ACCESS_METADATA, targets),
        this.reflector.getAllAndOverride(LIVE_METADATA, targets),
        handler,
      );
    } catch (err) {
      this.log.error(String(err));
      throw new HttpProblem('FORBIDDEN', 'this route declares no access');
    }
  }

  /** The route's own rate limit (`@RateLimited`), if it has one. */
  private limitedRoute(ctx: ExecutionContext, req: Request): LimitedRoute {
    const kind = this.reflector.get<LimitedKind | undefined>(RATE_LIMIT_METADATA, ctx.getHandler());
    if (kind === 'whip')
      return { kind, sessionId: String((req.params as Record<string, string | undefined>)[LIVE_PARAM.whip] ?? '') };
    return kind ? { kind } : null;
  }

  /** The caller, null for public routes, or an HttpProblem (401/403). */
  private async authenticate(req: Request, access: RouteAccess): Promise<RequestPrincipal | null> {
    if (access.public) return null;
    const bearer = bearerToken(req.headers.authorization);
    const live = access.live;
    const param = (kind: LiveKind) =>
      String((req.params as Record<string, string | undefined>)[LIVE_PARAM[kind]] ?? '');
    if (live === 'whip') {
      // WHIP takes the session's token only: its offer and its resource's DELETE
      this.sessions.authorize(bearer, { sessionId: param('whip') });
      return { kind: 'session', scopes: [] };
    }
    const sessionToken = KEY_PREFIX_FREE(bearer) && !this.auth.isBootstrap(bearer) ? bearer : undefined;
    if (sessionToken && live === 'stream') {
      this.sessions.verify(sessionToken); // the handler checks that it is this stream's
      return { kind: 'session', scopes: [] };
    }
    if (sessionToken && live === 'crop') {
      const claims = this.sessions.verify(sessionToken);
      if (!this.liveFaces.has(claims.streamId, param('crop'))) {
        throw new HttpProblem(
          'FORBIDDEN',
          `this session token allows only crops of faces seen in stream ${claims.streamId}`,
        );
      }
      return { kind: 'session', scopes: [] };
    }
    if (access.scope === null)
      throw new HttpProblem('UNAUTHORIZED', 'this route takes a live session token', { 'WWW-Authenticate': REALM });
    return keyPrincipal(this.auth, req, access.scope);
  }
}

/**
 * The API key or UI cookie of the request, if it has the `needed` scope: a 401 when there is none or it is
 * not valid (revoked, expired, mistyped), a 403 when its scopes fall short.
 */
export async function keyPrincipal(auth: AuthService, req: Request, needed: Scope): Promise<Principal> {
  const principal = await auth.authenticate(req);
  if (principal === undefined) {
    throw new HttpProblem(
      'UNAUTHORIZED',
      'authentication required: send an API key (Authorization: Bearer glk_… or X-API-Key) or sign in',
      {
        'WWW-Authenticate': REALM,
      },
    );
  }
  if (principal === null) {
    throw new HttpProblem('UNAUTHORIZED', 'the API key or session is not valid (revoked, expired or mistyped)', {
      'WWW-Authenticate': `${REALM}, error="invalid_token"`,
    });
  }
  if (!allows(principal.scopes, needed)) {
    throw new HttpProblem(
      'FORBIDDEN',
      `this needs the '${needed}' scope; the credentials have ${principal.scopes.join(', ')}`,
    );
  }
  return principal;
}
