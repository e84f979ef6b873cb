import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { StreamStart, z } from '@glimpse/contracts';
import * as api from './api-schemas';
import { createSessionBody } from './sessions/sessions.controller';
import { updateBody, uploadQuery } from './streams.controller';
import { facesQuery, mergeBody, moveBody, personsQuery, renameBody, searchQuery, sightingsQuery, verifyQuery } from './library';
import { recognizeQuery } from './recognize.controller';

/**
 * The OpenAPI document: Nest's explorer finds every route (so none is missed, whoever adds it), and
 * the operations below replace its guesses with schemas generated from the same zod schemas that
 * validate requests. Served at /api/docs (Swagger UI, assets from swagger-ui-dist) and /api/docs/openapi.json.
 */

type Schema = Record<string, unknown>;
const json = (s: z.ZodType, io: 'input' | 'output' = 'output'): Schema =>
  z.toJSONSchema(s, { io, target: 'openapi-3.0', unrepresentable: 'any' }) as Schema;

interface Op {
  summary: string;
  description?: string;
  tag: string;
  query?: z.ZodObject;
  /** JSON body schema, or a ready-made requestBody. */
  body?: z.ZodType | Schema;
  status?: number;
  reply?: z.ZodType | { content: Schema; description: string } | null;
  errors: number[];
}

const imageBody = (extra = ''): Schema => ({
  required: true,
  description: `A JPEG or PNG (also WebP, GIF, TIFF; converted), raw or as multipart field \`image\`.${extra}`,
  content: {
    'image/jpeg': { schema: { type: 'string', format: 'binary' } },
    'image/png': { schema: { type: 'string', format: 'binary' } },
    'multipart/form-data': { schema: { type: 'object', required: ['image'], properties: { image: { type: 'string', format: 'binary' } } } },
  },
});

const form = (files: Record<string, string>, fields: Schema = {}, required: string[] = Object.keys(files)): Schema => ({
  required: true,
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        required,
        properties: {
          ...Object.fromEntries(
            Object.entries(files).map(([k, d]) =>
              d.startsWith('array') ? [k, { type: 'array', items: { type: 'string', format: 'binary' }, description: d }] : [k, { type: 'string', format: 'binary', description: d }],
            ),
          ),
          ...fields,
        },
      },
    },
  },
});

const IMG_ERRORS = [400, 413, 415, 503, 504];
const BUS_ERRORS = [400, 503, 504];

const OPS: Record<string, Op> = {
  'post /api/v1/recognize': {
    tag: 'recognition', summary: 'Detect, match and (by default) store the faces of an image', query: recognizeQuery,
    body: imageBody(), reply: api.recognizeReply, errors: IMG_ERRORS,
  },
  'post /api/v1/encode': { tag: 'recognition', summary: 'Detect and encode faces; stores nothing', body: imageBody(), reply: api.encodeReply, errors: IMG_ERRORS },
  'post /api/v1/search': {
    tag: 'recognition', summary: '1:N search: the persons nearest to the largest face of the image; stores nothing',
    description: 'Results are closest first, whether or not within the threshold (`match`). 400 when the image has no face.',
    query: searchQuery, body: imageBody(), reply: api.searchReply, errors: IMG_ERRORS,
  },
  'post /api/v1/verify': {
    tag: 'recognition', summary: '1:1 verification: are the largest faces of images `a` and `b` the same person?',
    description: 'Multipart with files `a` and `b`; `?threshold=` defaults to 0.6. 400 names the image without a face. Stores nothing.',
    query: verifyQuery, body: form({ a: 'first image', b: 'second image' }), reply: api.verifyReply, errors: IMG_ERRORS,
  },
  'get /api/v1/persons': {
    tag: 'persons', summary: 'Persons, most recently seen first',
    description: '`name`: case-insensitive substring; `named`: only named (true) or unnamed (false) persons; `seenSince`/`seenBefore`: ISO 8601 date-times.',
    query: personsQuery, reply: api.personsPage, errors: BUS_ERRORS,
  },
  'post /api/v1/persons': {
    tag: 'persons', summary: 'Enroll a new person from photos',
    description: `Multipart: 1-10 \`images\` with exactly one face each, and an optional \`name\`. 400 "no face found in <file>" or "N faces found in <file>; enrollment needs exactly one", or the matcher's quality refusal (face too small or blurred). \`similarPersons\`: stored persons who already look like this one (merge candidates).`,
    body: form({ images: 'array: 1-10 photos' }, { name: { type: 'string', minLength: 1, maxLength: 100 } }, ['images']),
    status: 201, reply: api.enrollReply, errors: IMG_ERRORS,
  },
  'get /api/v1/persons/{id}': { tag: 'persons', summary: 'One person with its faces', reply: api.apiPersonDetail, errors: [400, 404, 503, 504] },
  'patch /api/v1/persons/{id}': { tag: 'persons', summary: 'Name a person, or make it unnamed (null)', body: renameBody, reply: api.apiPerson, errors: [400, 404, 415, 503, 504] },
  'delete /api/v1/persons/{id}': { tag: 'persons', summary: 'Delete a person with every face, encoding and crop', reply: api.deleteReply, errors: [400, 404, 503, 504] },
  'post /api/v1/persons/{id}/faces': {
    tag: 'persons', summary: 'Add photos to a person', description: 'Multipart `images` (1-10), exactly one face each; errors as for enrollment.',
    body: form({ images: 'array: 1-10 photos' }), status: 201, reply: api.enrollReply, errors: [...IMG_ERRORS, 404],
  },
  'post /api/v1/persons/{id}/merge': {
    tag: 'persons', summary: 'Merge person `sourceId` into this one',
    description: 'Faces and sightings move here; the source is deleted. This person keeps its number, and its name unless it has none.',
    body: mergeBody, reply: api.mergeReply, errors: [400, 404, 415, 503, 504],
  },
  'get /api/v1/faces': { tag: 'faces', summary: 'Stored faces, newest first', query: facesQuery, reply: api.facesPage, errors: BUS_ERRORS },
  'post /api/v1/faces/{id}/move': {
    tag: 'faces', summary: 'Move a face to another person, or (`toPersonId: null`) to a new one',
    description: 'A person left without faces is deleted (`fromPersonDeleted`).',
    body: moveBody, reply: api.moveReply, errors: [400, 404, 415, 503, 504],
  },
  'get /api/v1/faces/{id}/crop': {
    tag: 'faces', summary: 'The face crop',
    reply: { description: 'JPEG', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } }, errors: [400, 404, 503, 504],
  },
  'get /api/v1/sightings': {
    tag: 'sightings', summary: 'Sightings, most recently started first',
    description: '`since`/`until` select sightings overlapping that interval (ISO 8601).', query: sightingsQuery, reply: api.sightingsPage, errors: BUS_ERRORS,
  },
  'get /api/v1/sightings/{id}': { tag: 'sightings', summary: 'One sighting', reply: api.apiSighting, errors: [400, 404, 503, 504] },
  'post /api/v1/streams': { tag: 'streams', summary: 'Ingest a video file path or an RTSP/HTTP URL', body: StreamStart.request, status: 201, reply: api.streamReply, errors: [400, 415, 503, 504] },
  'post /api/v1/streams/upload': {
    tag: 'streams', summary: 'Upload a video file and ingest it', query: uploadQuery,
    body: { required: true, content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } }, ...(form({ video: 'the video' }).content as Schema) } },
    status: 201, reply: api.streamReply, errors: [400, 413, 415, 503, 504],
  },
  'get /api/v1/streams': { tag: 'streams', summary: 'Streams with their counters', reply: api.streamsReply, errors: [503, 504] },
  'get /api/v1/streams/{id}': { tag: 'streams', summary: 'One stream', reply: api.streamReply, errors: [400, 404, 503, 504] },
  'delete /api/v1/streams/{id}': { tag: 'streams', summary: "Stop a stream (a live camera's only with its session's bearer token)", reply: api.streamReply, errors: [400, 401, 403, 404, 503, 504] },
  'patch /api/v1/streams/{id}': { tag: 'streams', summary: "A live camera stream's threshold (session bearer token)", body: updateBody, reply: api.streamUpdateReply, errors: [400, 401, 403, 404, 415, 503, 504] },
  'post /api/v1/sessions': { tag: 'live camera', summary: 'A short-lived live-camera session', body: createSessionBody, status: 201, reply: api.sessionReply, errors: [400, 415, 429, 503] },
  'options /api/v1/whip/{sessionId}': { tag: 'live camera', summary: 'WHIP preflight', status: 204, reply: null, errors: [] },
  'post /api/v1/whip/{sessionId}': {
    tag: 'live camera', summary: 'WHIP offer (RFC 9725), bearer token',
    body: { required: true, content: { 'application/sdp': { schema: { type: 'string' } } } }, status: 201,
    reply: { description: 'The SDP answer; `Location` names the resource', content: { 'application/sdp': { schema: { type: 'string' } } } },
    errors: [400, 401, 403, 409, 415, 429, 503],
  },
  'delete /api/v1/whip/{sessionId}/{resourceId}': { tag: 'live camera', summary: 'End the WHIP session (bearer token)', status: 200, reply: null, errors: [401, 403, 404] },
  'patch /api/v1/whip/{sessionId}/{resourceId}': { tag: 'live camera', summary: 'Trickle ICE / ICE restart: not supported', status: 405, reply: null, errors: [] },
  'get /healthz': {
    tag: 'health', summary: 'Each dependency; 503 when one is down',
    reply: api.healthReply, errors: [503],
  },
};

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No content', 400: 'Invalid request or image', 401: 'Missing, forged or expired token',
  403: "Another session's token", 404: 'Not found', 405: 'Method not allowed', 409: 'Conflict', 413: 'Too large',
  415: 'Unsupported media type', 429: 'Too many requests (Retry-After says when to retry)', 503: 'A service is not running', 504: 'A service did not answer in time',
};

function operation(op: Op, pathParams: string[]): Schema {
  const q = op.query ? (json(op.query, 'input') as { properties?: Record<string, Schema>; required?: string[] }) : {};
  const parameters = [
    ...pathParams.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...Object.entries(q.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: !!q.required?.includes(name), schema })),
  ];
  const status = op.status ?? 200;
  const responses: Record<string, unknown> = {};
  if (op.reply === null) responses[status] = { description: STATUS_TEXT[status] ?? 'OK' };
  else if (op.reply && 'content' in op.reply && !(op.reply instanceof z.ZodType)) responses[status] = op.reply;
  else if (op.reply) responses[status] = { description: STATUS_TEXT[status], content: { 'application/json': { schema: json(op.reply as z.ZodType) } } };
  for (const e of op.errors) {
    responses[e] = { description: STATUS_TEXT[e] ?? 'Error', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  }
  const requestBody =
    op.body === undefined ? undefined
      : op.body instanceof z.ZodType ? { required: true, content: { 'application/json': { schema: json(op.body, 'input') } } }
        : op.body;
  return { tags: [op.tag], summary: op.summary, description: op.description, parameters, requestBody, responses };
}

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Glimpse HTTP API')
    .setVersion('1')
    .setDescription(
      'Real-time face recognition. Errors are `application/problem+json`. ' +
        'The WebSocket `/ws` (subscribe to a stream\'s recognitions) is described in the README.',
    )
    .build();
  const doc = SwaggerModule.createDocument(app, config);
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, Problem: json(api.problemSchema) as never } };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item) as Array<keyof typeof item>) {
      const op = OPS[`${String(method)} ${path}`];
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      (item as Record<string, unknown>)[method] = op
        ? operation(op, params)
        : operation({ tag: 'other', summary: `${String(method).toUpperCase()} ${path}`, reply: null, errors: [400, 404] }, params);
    }
  }
  return doc;
}

/** Serves the document and Swagger UI; call before the static files so that they take precedence. */
export function mountOpenApi(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, () => buildOpenApi(app), {
    jsonDocumentUrl: 'api/docs/openapi.json',
    raw: ['json'],
    customSiteTitle: 'Glimpse API',
  });
}

export { OPS as OPENAPI_OPERATIONS };
