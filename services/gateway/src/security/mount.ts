import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { buildRouteTable, type RouteEntry, type RouteTable } from '../auth/route-table';
import type { GatewayConfig } from '../config';
import { problemFor } from '../problem';
import { cors } from './cors';
import { securityHeaders } from './headers';
import { RateLimits } from './limits';
import { isApiPath, nonCanonical } from './path';
import { refuse } from './respond';

/**
 * Under /api (however spelled: security/path.ts) only the canonical spelling of a path is taken (else
 * 400, body unread). Routing itself is Express's, case-sensitive and strict (app.ts), so another
 * spelling finds no handler; authentication is AuthGuard's, on the handler Express found.
 */
export function canonicalApiPaths(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const bad = isApiPath(req.path) ? nonCanonical(req.path) : null;
    if (bad)
      return refuse(
        res,
        400,
        problemFor('INVALID_REQUEST', `not a canonical path: ${bad}; send the path exactly as documented`),
      );
    next();
  };
}

/**
 * Mounts, in this order and before any route: security headers, CORS, canonical /api paths. Checks the
 * routes' access declarations (the app's controllers plus `extraRoutes` served outside Nest) and fails
 * fast when one has none or two that can match one path disagree.
 */
export function mountSecurity(
  app: NestExpressApplication,
  cfg: GatewayConfig,
  extraRoutes: readonly RouteEntry[] = [],
): { limits: RateLimits; routes: RouteTable } {
  const routes = buildRouteTable(app, extraRoutes);
  app.set('trust proxy', cfg.TRUST_PROXY);
  app.use(
    securityHeaders({
      hstsMaxAgeS: cfg.HSTS_MAX_AGE_S,
      connectSrc: cfg.CSP_CONNECT_SRC,
      crossOrigin: cfg.CORS_ORIGINS.length > 0,
    }),
  );
  app.use(cors(cfg.CORS_ORIGINS));
  app.use(canonicalApiPaths());
  return { limits: app.get(RateLimits), routes };
}
