import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { createLogger } from '@glimpse/platform';
import { AppModule } from './app.module';
import type { GatewayConfig } from './config';
import { WhipOffer } from '@glimpse/contracts';
import { MAX_ENROLL_IMAGES } from './library';
import { mountOpenApi } from './openapi';
import type { RouteEntry } from './auth/route-table';
import { mountSecurity } from './security/mount';
import { imageBodyParser, imagesFormParser, jsonBodyParser, sdpBodyParser, videoBodyParser } from './upload';

const JSON_LIMIT_BYTES = 64 * 1024;

/** Served by mountOpenApi (Swagger UI, its assets and the JSON document), outside Nest's controllers. */
export const DOCS_ROUTES: RouteEntry[] = [{ method: 'GET', template: '/api/docs', prefix: true, access: { public: true }, handler: 'SwaggerModule.docs' }];

/**
 * Express with exact routing: `/API/v1/…` or `/api/v1/persons/` reach no handler (earlyAuth refuses
 * them first). Set before the adapter exists: Express builds its router, with these settings, on first use.
 */
function strictExpress(): express.Express {
  const server = express();
  server.set('case sensitive routing', true);
  server.set('strict routing', true);
  return server;
}

/**
 * Builds the gateway app, not yet listening (main.ts and the integration tests share it). Body
 * parsing is explicit per route so that each gets its own type checks and size limit.
 */
export async function createApp(cfg: GatewayConfig, logger?: LoggerService | false): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(cfg), new ExpressAdapter(strictExpress()), {
    bodyParser: false,
    abortOnError: false,
    logger: logger ?? createLogger('gateway', cfg.LOG_LEVEL),
  });
  app.disable('x-powered-by');
  // before every body parser: refused requests never get their bodies read
  mountSecurity(app, cfg, DOCS_ROUTES);
  app.use('/api/v1/recognize', imageBodyParser(cfg.MAX_UPLOAD_BYTES));
  app.use('/api/v1/encode', imageBodyParser(cfg.MAX_UPLOAD_BYTES));
  app.use('/api/v1/search', imageBodyParser(cfg.MAX_UPLOAD_BYTES));
  app.use('/api/v1/verify', imagesFormParser(cfg.MAX_UPLOAD_BYTES, { a: 1, b: 1 }));
  app.use('/api/v1/persons', imagesFormParser(cfg.MAX_UPLOAD_BYTES, { images: MAX_ENROLL_IMAGES }));
  app.use('/api/v1/persons/:id/faces', imagesFormParser(cfg.MAX_UPLOAD_BYTES, { images: MAX_ENROLL_IMAGES }));
  app.use('/api/v1/persons', jsonBodyParser(JSON_LIMIT_BYTES, { method: 'PATCH', subPaths: true }));
  app.use('/api/v1/persons/:id/merge', jsonBodyParser(JSON_LIMIT_BYTES));
  app.use('/api/v1/faces/:id/move', jsonBodyParser(JSON_LIMIT_BYTES));
  app.use('/api/v1/faces/:id/reject', jsonBodyParser(JSON_LIMIT_BYTES));
  app.use('/api/v1/review/different', jsonBodyParser(JSON_LIMIT_BYTES));
  app.use('/api/v1/settings/threshold', jsonBodyParser(JSON_LIMIT_BYTES, { method: 'PUT' }));
  app.use('/api/v1/streams/upload', videoBodyParser(cfg.UPLOAD_DIR, cfg.MAX_VIDEO_UPLOAD_BYTES));
  app.use('/api/v1/streams', jsonBodyParser(JSON_LIMIT_BYTES));
  app.use('/api/v1/streams', jsonBodyParser(JSON_LIMIT_BYTES, { method: 'PATCH', subPaths: true }));
  app.use('/api/v1/cameras', jsonBodyParser(JSON_LIMIT_BYTES));
  app.use('/api/v1/cameras/test', jsonBodyParser(JSON_LIMIT_BYTES));
  app.use('/api/v1/cameras', jsonBodyParser(JSON_LIMIT_BYTES, { method: 'PATCH', subPaths: true }));
  app.use('/api/v1/sessions', jsonBodyParser(JSON_LIMIT_BYTES));
  app.use('/api/v1/api-keys', jsonBodyParser(JSON_LIMIT_BYTES));
  app.use('/api/v1/crops/rotate-key', jsonBodyParser(JSON_LIMIT_BYTES));
  app.use('/api/v1/auth/session', jsonBodyParser(JSON_LIMIT_BYTES));
  app.use('/api/v1/whip', sdpBodyParser(WhipOffer.MAX_SDP_BYTES));
  mountOpenApi(app);
  app.useStaticAssets(cfg.PUBLIC_DIR, { index: 'index.html', redirect: false, maxAge: '5m' });
  return app;
}
