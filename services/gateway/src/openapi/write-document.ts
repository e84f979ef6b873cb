import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppModule } from '../app.module';
import { controllersOfModule } from '../auth/route-table';
import { loadGatewayConfig } from '../config';
import { buildOpenApiDocument } from './document';

/**
 * `node dist/openapi/write-document.js <file>`: the gateway's OpenAPI document, without a running server
 * (no NATS, no app: only the controllers' metadata). The web client generates its API types from it.
 */
const out = process.argv[2];
if (!out) {
  console.error('usage: write-document.js <output.json>');
  process.exit(2);
}
const doc = buildOpenApiDocument(controllersOfModule(AppModule.forRoot(loadGatewayConfig({}))));
writeFileSync(resolve(out), `${JSON.stringify(doc, null, 2)}\n`);
