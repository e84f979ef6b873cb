import { SetMetadata } from '@nestjs/common';
import type { z } from '@glimpse/contracts';

/**
 * What the OpenAPI document says about a route beyond what its handler already declares: its path,
 * method, access, body (http/body.ts) and the zod schemas of its query, path and JSON body pipes are
 * read from the handler itself (openapi/document.ts).
 */
export interface DocSpec {
  tag: string;
  summary: string;
  description?: string;
  /** The JSON answer, a ready-made response (binary content), or null for none. */
  reply?: z.ZodType | { content: Record<string, unknown>; description: string } | null;
  /** The success status when the handler sets it itself (`@Res()`); else @HttpCode, or Nest's default. */
  status?: number;
  /** JSON answers that are not problems, besides the success status (/healthz's 503 is its report). */
  more?: Record<number, z.ZodType>;
  /** Problem statuses besides those that follow from the route's access and body. */
  errors?: number[];
  /** Answers without credentials whatever the path (a route that only ever refuses). */
  open?: boolean;
}

export const DOC_METADATA = 'glimpse:doc';

/** Documents a route in /api/docs. */
export const Doc = (spec: DocSpec) => SetMetadata(DOC_METADATA, spec);

export const IMG_ERRORS = [400, 413, 415, 503, 504];
export const BUS_ERRORS = [400, 503, 504];
