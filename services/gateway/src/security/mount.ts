import type { NestExpressApplication } from '@nestjs/platform-express';
import { AuthService } from '../auth/auth.service';
import type { GatewayConfig } from '../config';
import { SessionService } from '../sessions/session.service';
import { cors } from './cors';
import { earlyAuth } from './early-auth';
import { securityHeaders } from './headers';
import { RateLimits } from './limits';
import { LiveFaces } from './live-faces';

/**
 * Mounts, in this order and before any body parser: security headers, CORS, then per-address rate
 * limits, authentication and per-key rate limits for /api/v1 (security/early-auth.ts).
 */
export function mountSecurity(app: NestExpressApplication, cfg: GatewayConfig): RateLimits {
  app.set('trust proxy', cfg.TRUST_PROXY);
  app.use(securityHeaders({ hstsMaxAgeS: cfg.HSTS_MAX_AGE_S, connectSrc: cfg.CSP_CONNECT_SRC, crossOrigin: cfg.CORS_ORIGINS.length > 0 }));
  app.use(cors(cfg.CORS_ORIGINS));
  const limits = new RateLimits(cfg);
  app.use(earlyAuth({ auth: app.get(AuthService), sessions: app.get(SessionService), liveFaces: app.get(LiveFaces), limits }));
  return limits;
}
