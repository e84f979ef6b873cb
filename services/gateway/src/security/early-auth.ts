import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isAuthSessionPath, requiredScope } from '../auth/api-key';
import type { AuthService } from '../auth/auth.service';
import { keyPrincipal, setPrincipal, type RequestPrincipal } from '../auth/auth.guard';
import { KEY_PREFIX_FREE, bearerToken } from '../auth/bearer';
import { HttpProblem } from '../problem';
import type { SessionService } from '../sessions/session.service';
import type { RateLimits } from './limits';
import type { LiveFaces } from './live-faces';
import { refuseProblem, tooManyRequests } from './respond';

export interface EarlyAuthDeps {
  auth: AuthService;
  sessions: SessionService;
  liveFaces: LiveFaces;
  limits: RateLimits;
}

const WHIP = /^\/api\/v1\/whip(?:\/([^/]+))?(?:\/[^/]+)?\/?$/;
const LIVE_STREAM = /^\/api\/v1\/streams\/[^/]+\/?$/;
const CROP = /^\/api\/v1\/faces\/([^/]+)\/crop\/?$/;

/**
 * Runs before any body parser: a request to `/api/v1` without a known credential of the route's
 * scope is refused (401/403, or 429 when rate-limited) with its body unread. The AuthGuard checks
 * again inside Nest; this only makes sure nobody unauthenticated gets the gateway to read an upload.
 */
export function earlyAuth(deps: EarlyAuthDeps): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!requiredScope(req.method, req.path)) return next();
    const early = deps.limits.beforeAuth(req);
    if (early) return tooManyRequests(res, early.detail, early.retryAfterS);
    authenticate(deps, req).then(
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

/** The caller, null for routes open to all, or an HttpProblem (401/403). */
async function authenticate({ auth, sessions, liveFaces }: EarlyAuthDeps, req: Request): Promise<RequestPrincipal | null> {
  const path = req.path;
  const method = req.method;
  if (isAuthSessionPath(path)) return null; // sign-in: rate-limited per address instead
  const bearer = bearerToken(req.headers.authorization);

  const whip = WHIP.exec(path);
  if (whip) {
    if (method !== 'POST') return null; // DELETE is authorized by its handler, PATCH is 405, OPTIONS is open
    sessions.authorize(bearer, { sessionId: whip[1] ?? '' });
    return { kind: 'session', scopes: [] };
  }
  const sessionToken = KEY_PREFIX_FREE(bearer) && !auth.isBootstrap(bearer) ? bearer : undefined;
  if (sessionToken && (method === 'PATCH' || method === 'DELETE') && LIVE_STREAM.test(path)) {
    sessions.verify(sessionToken); // the handler checks that it is this stream's
    return { kind: 'session', scopes: [] };
  }
  const crop = CROP.exec(path);
  if (sessionToken && crop && (method === 'GET' || method === 'HEAD')) {
    const claims = sessions.verify(sessionToken);
    if (!liveFaces.has(claims.streamId, crop[1])) {
      throw new HttpProblem('FORBIDDEN', `this session token allows only crops of faces seen in stream ${claims.streamId}`);
    }
    return { kind: 'session', scopes: [] };
  }

  return keyPrincipal(auth, req, requiredScope(method, path)!);
}
