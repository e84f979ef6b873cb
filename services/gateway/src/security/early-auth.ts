import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthService } from '../auth/auth.service';
import { keyPrincipal, setPrincipal, type RequestPrincipal } from '../auth/auth.guard';
import { KEY_PREFIX_FREE, bearerToken } from '../auth/bearer';
import { LIVE_PARAM, setMatchedRoute, type RouteMatch, type RouteTable } from '../auth/route-table';
import { HttpProblem, problemFor } from '../problem';
import type { SessionService } from '../sessions/session.service';
import type { RateLimits } from './limits';
import type { LiveFaces } from './live-faces';
import { isApiPath, nonCanonical } from './path';
import { refuse, refuseProblem, tooManyRequests } from './respond';

export interface EarlyAuthDeps {
  auth: AuthService;
  sessions: SessionService;
  liveFaces: LiveFaces;
  limits: RateLimits;
  routes: RouteTable;
}

type Matched = Extract<RouteMatch, { kind: 'route' }>;

/**
 * Runs before any body parser. Under /api (however spelled: security/path.ts) a path must be canonical
 * (else 400) and name a route (else 404, or 405 with Allow); then the route's declared access
 * (auth/access.ts, looked up in the route table) decides: a request without a credential that the
 * route accepts is refused (401/403, or 429 when rate-limited) with its body unread. AuthGuard checks
 * the same declaration again inside Nest, on the handler Nest picked.
 */
export function earlyAuth(deps: EarlyAuthDeps): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const api = isApiPath(req.path);
    const match = deps.routes.match(req.method, req.path);
    // a path that routes anywhere must be canonical too, whatever a lenient reading makes of it
    const bad = api || match.kind !== 'none' ? nonCanonical(req.path) : null;
    if (bad) return refuse(res, 400, problemFor('INVALID_REQUEST', `not a canonical path: ${bad}; send the path exactly as documented`));
    if (match.kind === 'none') return api ? refuse(res, 404, problemFor('NOT_FOUND', `no such API route: ${req.method} ${req.path}`)) : next();
    if (match.kind === 'method') {
      const allow = match.allow.join(', ');
      return refuse(res, 405, problemFor('METHOD_NOT_ALLOWED', `${req.method} is not allowed here; allowed: ${allow}`), { Allow: allow });
    }
    setMatchedRoute(req, match);
    if (!api && match.route.access.public) return next(); // /healthz: public, and not rate-limited
    const early = deps.limits.beforeAuth(req);
    if (early) return tooManyRequests(res, early.detail, early.retryAfterS);
    authenticate(deps, req, match).then(
      (principal) => {
        if (principal) setPrincipal(req, principal);
        const later = deps.limits.afterAuth(req, principal && 'keyId' in principal ? principal.keyId : undefined);
        if (later) return tooManyRequests(res, later.detail, later.retryAfterS);
        next();
      },
      (err: unknown) => {
        if (!(err instanceof HttpProblem)) return next(err);
        // a wrong guess counts against the address; a request without any credential is no guess
        if (err.code === 'UNAUTHORIZED' && /invalid_token/.test(err.headers['WWW-Authenticate'] ?? '')) deps.limits.failedAuth(req);
        refuseProblem(res, err);
      },
    );
  };
}

/** The caller, null for public routes, or an HttpProblem (401/403). */
async function authenticate({ auth, sessions, liveFaces }: EarlyAuthDeps, req: Request, { route, params }: Matched): Promise<RequestPrincipal | null> {
  const access = route.access;
  if (access.public) return null;
  const bearer = bearerToken(req.headers.authorization);
  const live = access.live;
  if (live === 'whip') {
    // WHIP takes the session's token only: its offer and its resource's DELETE
    sessions.authorize(bearer, { sessionId: params[LIVE_PARAM.whip] ?? '' });
    return { kind: 'session', scopes: [] };
  }
  const sessionToken = KEY_PREFIX_FREE(bearer) && !auth.isBootstrap(bearer) ? bearer : undefined;
  if (sessionToken && live === 'stream') {
    sessions.verify(sessionToken); // the handler checks that it is this stream's
    return { kind: 'session', scopes: [] };
  }
  if (sessionToken && live === 'crop') {
    const claims = sessions.verify(sessionToken);
    if (!liveFaces.has(claims.streamId, params[LIVE_PARAM.crop] ?? '')) {
      throw new HttpProblem('FORBIDDEN', `this session token allows only crops of faces seen in stream ${claims.streamId}`);
    }
    return { kind: 'session', scopes: [] };
  }
  if (access.scope === null) throw new HttpProblem('UNAUTHORIZED', 'this route takes a live session token', { 'WWW-Authenticate': 'Bearer realm="glimpse"' });
  return keyPrincipal(auth, req, access.scope);
}
