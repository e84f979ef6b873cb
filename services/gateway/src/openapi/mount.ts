import type { INestApplication } from '@nestjs/common';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { controllersOf } from '../auth/route-table';
import { buildOpenApiDocument } from './document';

/**
 * Serves the OpenAPI document, built from the app's controllers (document.ts: each route's
 * `@Doc()`, access, body and zod pipes), and Swagger UI (assets from swagger-ui-dist) at /api/docs,
 * the JSON at /api/docs/openapi.json. Call before the static files so that they take precedence.
 */
export function mountOpenApi(app: INestApplication): void {
  const doc = buildOpenApiDocument(controllersOf(app)) as unknown as OpenAPIObject;
  SwaggerModule.setup('api/docs', app, () => doc, {
    jsonDocumentUrl: 'api/docs/openapi.json',
    raw: ['json'],
    customSiteTitle: 'Glimpse API',
  });
}
