import type { NestExpressApplication } from '@nestjs/platform-express';
import { AuthService } from '../auth/auth.service';
import { buildRouteTable, type RouteEntry, type RouteTable } from '../auth/route-table';
import type { GatewayConfig } from '../config';
import { SessionService } from '../sessions/session.service';
import { cors } from './cors';
import { earlyAuth } from './early-auth';
import { securityHeaders } from './headers';
import { RateLimits } from './limits';
import { LiveFaces } from './live-faces';

/**
 * Mounts, in this order and before any body parser: security headers, CORS, then path checks,
 * per-address rate limits, authentication and per-key rate limits for /api (security/early-auth.ts),
 * decided by the route table of the app's controllers plus `extraRoutes` (routes served outside Nest).
 */
export function mountSecurity(app: NestExpressApplication, cfg: GatewayConfig, extraRoutes: readonly RouteEntry[] = []): { limits: RateLimits; routes: RouteTable } {
  const routes = buildRouteTable(app, extraRoutes);
  app.set('trust proxy', cfg.TRUST_PROXY);
  app.use(securityHeaders({ hstsMaxAgeS: cfg.HSTS_MAX_AGE_S, connectSrc: cfg.CSP_CONNECT_SRC, crossOrigin: cfg.CORS_ORIGINS.length > 0 }));
  app.use(cors(cfg.CORS_ORIGINS));
  const limits = app.get(RateLimits); // shared with /ws (ws.gateway.ts)
  app.use(earlyAuth({ auth: app.get(AuthService), sessions: app.get(SessionService), liveFaces: app.get(LiveFaces), limits, routes }));
  return { limits, routes };
}
