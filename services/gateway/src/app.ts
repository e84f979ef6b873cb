import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { createLogger } from '@glimpse/platform';
import { AppModule } from './app.module';
import type { GatewayConfig } from './config';
import { mountOpenApi } from './openapi/mount';
import type { RouteEntry } from './auth/route-table';
import { mountSecurity } from './security/mount';
import { clientIp, type RateLimits } from './security/limits';
import { isApiPath, loosePath } from './security/path';
import { tooManyRequests } from './security/respond';

/** Served by mountOpenApi (Swagger UI, its assets and the JSON document), outside Nest's controllers. */
export const DOCS_ROUTES: RouteEntry[] = [
  { method: 'GET', template: '/api/docs', prefix: true, access: { public: true }, handler: 'SwaggerModule.docs' },
];

/**
 * Express with exact routing: `/API/v1/…` or `/api/v1/persons/` reach no handler (Express 5 routes
 * case-insensitively by default). Set before the adapter exists: Express builds its router, with these
 * settings, on first use.
 */
function strictExpress(): express.Express {
  const server = express();
  server.set('case sensitive routing', true);
  server.set('strict routing', true);
  return server;
}

/**
 * Builds the gateway app, not yet listening (main.ts and the integration tests share it). No global
 * body parser: each route declares its body on its handler (http/body.ts), read after AuthGuard.
 */
export async function createApp(cfg: GatewayConfig, logger?: LoggerService | false): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(cfg),
    new ExpressAdapter(strictExpress()),
    {
      bodyParser: false,
      abortOnError: false,
      logger: logger ?? createLogger('gateway', cfg.LOG_LEVEL),
    },
  );
  app.disable('x-powered-by');
  const { limits } = mountSecurity(app, cfg, DOCS_ROUTES);
  app.use(blockedAddresses(limits, (path) => DOCS_PATH.test(path)));
  mountOpenApi(app);
  app.use(staticFiles(cfg.PUBLIC_DIR, limits));
  return app;
}

const DOCS_PATH = /^\/api\/docs(?:[/.-]|$)/;
const RESERVED = /^\/(?:healthz|metrics|ws)(?:\/|$)/;

/** Paths that only the gateway's own routes answer, however spelled: /api (the API and its docs), /healthz, /metrics, /ws. */
export const isReservedPath = (raw: string): boolean =>
  isApiPath(raw) || RESERVED.test(raw.toLowerCase()) || RESERVED.test(loosePath(raw));

/**
 * The per-address failed-auth block (security/limits.ts) for routes that AuthGuard never sees: an address
 * that keeps sending bad credentials gets 429 from the docs and the static files too.
 */
function blockedAddresses(limits: RateLimits, applies: (path: string) => boolean): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const blocked = applies(req.path) ? limits.wsBlocked(clientIp(req)) : null;
    if (blocked) return tooManyRequests(res, blocked.detail, blocked.retryAfterS);
    next();
  };
}

/**
 * The UI's files from PUBLIC_DIR, never for a reserved path: a file at PUBLIC_DIR/api/v1/audit must not
 * answer GET /api/v1/audit ahead of its route and AuthGuard.
 */
function staticFiles(dir: string, limits: RateLimits): RequestHandler {
  const serve = express.static(dir, { index: 'index.html', redirect: false, maxAge: '5m' });
  const block = blockedAddresses(limits, () => true);
  return (req: Request, res: Response, next: NextFunction) => {
    if (isReservedPath(req.path) || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    block(req, res, () => serve(req, res, next));
  };
}
