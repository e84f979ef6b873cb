import type { Type } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { MetadataScanner } from '@nestjs/core';
import { z } from '@glimpse/contracts';
import { problemSchema } from '../api-schemas';
import { ACCESS_METADATA, LIVE_METADATA, resolveAccess, type RouteAccess } from '../auth/access';
import { bodyOf, type BodySpec } from '../http/body';
import { DOC_METADATA, type DocSpec } from './doc';
import { clientMessageSchema, serverMessageSchema } from '../ws.messages';

/**
 * The OpenAPI document, built from the controllers alone (no app, no I/O: `write-document.ts` runs it at
 * build time for the web client's types): each handler's path, method, access, body declaration and the
 * zod schemas of its pipes, plus its `@Doc()`. A route without `@Doc()` is still listed.
 */

type Schema = Record<string, unknown>;
const json = (s: z.ZodType, io: 'input' | 'output' = 'output'): Schema =>
  z.toJSONSchema(s, { io, target: 'openapi-3.0', unrepresentable: 'any' }) as Schema;
const binary = { type: 'string', format: 'binary' };

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No content',
  400: 'Invalid request or image',
  401: 'Missing, forged or expired token',
  403: "The credentials lack the scope, or another session's token",
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported media type',
  429: 'Too many requests (Retry-After says when to retry)',
  503: 'A service is not running',
  504: 'A service did not answer in time',
};

const SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (`glk_…`); on WHIP, a live stream and its crops also the session token',
  },
  apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
  uiCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'glimpse_ui',
    description: "The web client's session (POST /api/v1/auth/session)",
  },
};

const problem = (e: number) => ({
  description: STATUS_TEXT[e] ?? 'Error',
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** Who may call: an API key, the UI cookie or (live routes) a session token answer 401/403 and 429; WHIP takes the session token only. */
function security(access: RouteAccess, api: boolean): { security: Array<Record<string, string[]>>; errors: number[] } {
  if (access.public) return { security: [], errors: api ? [429] : [] };
  if (access.scope === null) return { security: [{ bearer: [] }], errors: [401, 403, 429] };
  return { security: [{ bearer: [] }, { apiKey: [] }, { uiCookie: [] }], errors: [401, 403, 429] };
}

function form(spec: Extract<BodySpec, { kind: 'images' }>): Schema {
  const files = Object.entries(spec.files).map(([k, n]) => [
    k,
    n > 1 ? { type: 'array', items: binary, description: `1-${n} images` } : { ...binary },
  ]);
  return {
    type: 'object',
    required: Object.keys(spec.files),
    properties: { ...Object.fromEntries(files), ...(spec.fields ?? {}) },
  };
}

/** The request body a declaration takes, and the errors reading it can give. */
function requestBody(
  spec: BodySpec | undefined,
  jsonSchema: z.ZodType | undefined,
): { body?: Schema; errors: number[] } {
  if (!spec) return { errors: [] };
  switch (spec.kind) {
    case 'image':
      return {
        errors: [400, 413, 415],
        body: {
          required: true,
          description: 'A JPEG or PNG (also WebP, GIF, TIFF; converted), raw or as multipart field `image`.',
          content: {
            'image/jpeg': { schema: binary },
            'image/png': { schema: binary },
            'multipart/form-data': { schema: { type: 'object', required: ['image'], properties: { image: binary } } },
          },
        },
      };
    case 'images':
      return {
        errors: [400, 413, 415],
        body: { required: true, content: { 'multipart/form-data': { schema: form(spec) } } },
      };
    case 'video':
      return {
        errors: [400, 413, 415],
        body: {
          required: true,
          content: {
            'video/mp4': { schema: binary },
            'multipart/form-data': { schema: { type: 'object', required: ['video'], properties: { video: binary } } },
          },
        },
      };
    case 'sdp':
      return {
        errors: [400, 413, 415],
        body: { required: true, content: { 'application/sdp': { schema: { type: 'string' } } } },
      };
    case 'json':
      return {
        errors: [400, 413, 415],
        body: {
          required: !spec.optional,
          content: { 'application/json': { schema: jsonSchema ? json(jsonSchema, 'input') : {} } },
        },
      };
  }
}

interface Arg {
  type: RouteParamtypes;
  data?: string;
  schema?: z.ZodType;
}

/** A handler's arguments with the zod schema of their pipe (ZodPipe, RawQuery), if any. */
function argsOf(cls: Type, name: string): Arg[] {
  const meta = (Reflect.getMetadata(ROUTE_ARGS_METADATA, cls, name) ?? {}) as Record<
    string,
    { data?: unknown; pipes?: unknown[] }
  >;
  return Object.entries(meta).map(([key, v]) => {
    const pipe = (v.pipes ?? []).find(
      (p): p is { schema: z.ZodType } =>
        !!p && typeof p === 'object' && (p as { schema?: unknown }).schema instanceof z.ZodType,
    );
    return {
      type: Number(key.split(':')[0]) as RouteParamtypes,
      data: typeof v.data === 'string' ? v.data : undefined,
      schema: pipe?.schema,
    };
  });
}

const joinPath = (...parts: string[]) =>
  '/' +
  parts
    .flatMap((p) => p.split('/'))
    .filter(Boolean)
    .join('/');
const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [v === undefined ? '/' : String(v)]);

function operation(cls: Type, name: string, method: string, path: string): Schema {
  const handler = cls.prototype[name] as object;
  const doc = (Reflect.getMetadata(DOC_METADATA, handler) as DocSpec | undefined) ?? {
    tag: 'other',
    summary: `${method.toUpperCase()} ${path}`,
    reply: null,
    errors: [400, 404],
  };
  const access = resolveAccess(
    Reflect.getMetadata(ACCESS_METADATA, handler) ?? Reflect.getMetadata(ACCESS_METADATA, cls),
    Reflect.getMetadata(LIVE_METADATA, handler) ?? Reflect.getMetadata(LIVE_METADATA, cls),
    `${cls.name}.${name}`,
  );
  const args = argsOf(cls, name);
  const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const paramSchema = (p: string) => args.find((a) => a.type === RouteParamtypes.PARAM && a.data === p)?.schema;
  const query = args.find((a) => a.type === RouteParamtypes.QUERY && !a.data && a.schema)?.schema;
  const q = query ? (json(query, 'input') as { properties?: Record<string, Schema>; required?: string[] }) : {};
  const parameters = [
    // a CORS preflight is answered whatever the path holds
    ...pathParams.map((p) => ({
      name: p,
      in: 'path',
      required: true,
      schema: method !== 'options' && paramSchema(p) ? json(paramSchema(p)!, 'input') : { type: 'string' },
    })),
    ...Object.entries(q.properties ?? {}).map(([p, schema]) => ({
      name: p,
      in: 'query',
      required: !!q.required?.includes(p),
      schema,
    })),
  ];
  const body = requestBody(bodyOf(handler), args.find((a) => a.type === RouteParamtypes.BODY)?.schema);
  const status =
    doc.status ??
    (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ??
    (method === 'post' ? 201 : 200);
  const responses: Record<string, unknown> = {};
  if (doc.reply === null || doc.reply === undefined) responses[status] = { description: STATUS_TEXT[status] ?? 'OK' };
  else if (doc.reply instanceof z.ZodType)
    responses[status] = {
      description: STATUS_TEXT[status],
      content: { 'application/json': { schema: json(doc.reply) } },
    };
  else responses[status] = doc.reply;
  for (const [s, reply] of Object.entries(doc.more ?? {}))
    responses[s] = { description: STATUS_TEXT[Number(s)], content: { 'application/json': { schema: json(reply) } } };
  const sec =
    doc.open || method === 'options' ? { security: [], errors: [] } : security(access, path.startsWith('/api/'));
  const errors = [
    ...(doc.errors ?? []),
    ...sec.errors,
    ...body.errors,
    ...(pathParams.length && method !== 'options' ? [400] : []),
  ];
  for (const e of [...new Set(errors)].sort((a, b) => a - b)) responses[e] = problem(e);
  return {
    tags: [doc.tag],
    summary: doc.summary,
    description: doc.description,
    parameters,
    requestBody: body.body,
    responses,
    security: sec.security,
  };
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, Schema>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, unknown> };
}

/** The document for these controllers (Nest's own route metadata: `@Controller`, `@Get`…, `@HttpCode`). */
export function buildOpenApiDocument(controllers: readonly Type[]): OpenApiDocument {
  const scanner = new MetadataScanner();
  const paths: OpenApiDocument['paths'] = {};
  for (const cls of controllers) {
    const bases = asList(Reflect.getMetadata(PATH_METADATA, cls));
    for (const name of scanner.getAllMethodNames(cls.prototype)) {
      const handler = cls.prototype[name] as object;
      const routes = Reflect.getMetadata(PATH_METADATA, handler) as unknown;
      if (routes === undefined) continue;
      const method = (
        RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod] as string
      ).toLowerCase();
      for (const b of bases) {
        for (const r of asList(routes)) {
          const path = joinPath(b, r).replace(/:(\w+)/g, '{$1}');
          (paths[path] ??= {})[method] = operation(cls, name, method, path);
        }
      }
    }
  }
  return {
    openapi: '3.0.0',
    info: {
      title: 'Glimpse HTTP API',
      version: '1',
      description:
        "Real-time face recognition. Errors are `application/problem+json`. The WebSocket `/ws` (subscribe to a stream's recognitions) is described in docs/; its messages are the schemas WsClientMessage and WsServerMessage.",
    },
    paths,
    components: {
      schemas: {
        Problem: json(problemSchema),
        WsClientMessage: json(clientMessageSchema, 'input'),
        WsServerMessage: json(serverMessageSchema),
      },
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}
