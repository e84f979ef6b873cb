import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { SecuritySchemeObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { StreamStart, StreamStop, uuidSchema, WhipOffer, z } from '@glimpse/contracts';
import * as api from './api-schemas';
import * as identity from './identity.controller';
import { CalibrationGet, ReviewDifferent, ThresholdGet, ThresholdSet } from '@glimpse/contracts';
import { AuditList, CropsRotate, PrivacyGet } from '@glimpse/contracts';
import { auditQuery } from './audit/audit.controller';
import { CameraCreate, CameraList, CameraProbe, CameraUpdate, cameraIdSchema, cameraSchema } from '@glimpse/contracts';
import { scopeSchema } from './auth/api-key';
import { storedKeySchema } from './auth/api-key.store';
import { createKeyBody, loginBody } from './auth/auth.controller';
import { createWebhookSchema, statsSchema } from './webhooks/webhook.model';
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
  /** The JSON body may be left out (the handler reads none as `{}`). */
  bodyOptional?: boolean;
  status?: number;
  reply?: z.ZodType | { content: Schema; description: string } | null;
  /** Answers without credentials (a route that only ever refuses). */
  open?: boolean;
  /** JSON answers that are not problems, besides `status` (/healthz's 503 is its report). */
  more?: Record<number, z.ZodType>;
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
/** The path parameters' schemas, as the controllers' pipes check them (by path prefix); any other is a string. */
const PATH_PARAMS: Array<[RegExp, Record<string, z.ZodType>]> = [
  [/^\/api\/v1\/streams\//, { id: StreamStop.request.shape.id }],
  [/^\/api\/v1\/cameras\//, { id: cameraIdSchema }],
  [/^\/api\/v1\/whip\//, { sessionId: WhipOffer.sessionIdSchema, resourceId: WhipOffer.resourceIdSchema }],
  [/^\/api\/v1\/(persons|faces|sightings|webhooks)\//, { id: uuidSchema }],
];
function pathParamSchema(path: string, name: string): Schema {
  const schema = PATH_PARAMS.find(([re]) => re.test(path))?.[1][name];
  return schema ? json(schema, 'input') : { type: 'string' };
}

const apiKeyInfo = storedKeySchema.omit({ hash: true });
const uiSession = z.strictObject({ scopes: z.array(scopeSchema), expiresAt: z.iso.datetime() });
const webhook = z.strictObject({ id: z.uuid(), url: z.string(), events: z.array(z.string()), createdAt: z.iso.datetime(), active: z.boolean() });
const KEY_ERRORS = [400, 503];
const WEBHOOK_ERRORS = [400, 503, 504];

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
    body: mergeBody, reply: api.mergeReply, errors: [400, 404, 409, 415, 503, 504],
  },
  'get /api/v1/faces': { tag: 'faces', summary: 'Stored faces, newest first', query: facesQuery, reply: api.facesPage, errors: BUS_ERRORS },
  'post /api/v1/faces/{id}/move': {
    tag: 'faces', summary: 'Move a face to another person, or (`toPersonId: null`) to a new one',
    description: 'A person left without faces is deleted (`fromPersonDeleted`).',
    body: moveBody, reply: api.moveReply, errors: [400, 404, 409, 415, 503, 504],
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
  'post /api/v1/faces/{id}/reject': {
    tag: 'identity', summary: '"Not this person": the face leaves `personId` for a new person of its own',
    description: 'The face is cannot-linked with every face `personId` keeps: merging the two persons, or moving the face back, is refused (409). 409 too when the face is no longer `personId`\'s, or is its only face.',
    body: identity.rejectBody, reply: identity.rejectReply, errors: [400, 404, 409, 415, 503, 504],
  },
  'get /api/v1/review': {
    tag: 'identity', summary: '"Who is this?": groups of likely duplicate persons, each with an unnamed one, closest first',
    description: 'Average-linkage clusters of the `persons` most recently seen unnamed persons and their nearest faces (vector index); faces of one frame and cannot-linked persons are never grouped. `maxDistance` defaults to the matching threshold.',
    query: identity.reviewQuery, reply: identity.reviewReply, errors: BUS_ERRORS,
  },
  'post /api/v1/review/different': {
    tag: 'identity', summary: '"Different people": cannot-links between every pair of these persons',
    body: identity.differentBody, reply: ReviewDifferent.reply, errors: [400, 404, 415, 503, 504],
  },
  'get /api/v1/calibration': {
    tag: 'identity', summary: 'Genuine and impostor distance distributions, FAR/FRR by threshold, and the threshold for a wanted FAR',
    description: 'Genuine pairs: faces of one named person; impostor pairs: faces of differently named persons and cannot-links. `far` is the wanted identification false accept rate at the current number of persons N (1 − (1 − p)^N). `sufficient: false` with a `reason` when there is too little data (fewer than 2 named persons with 2 faces or more).',
    query: identity.calibrationQuery, reply: CalibrationGet.reply, errors: BUS_ERRORS,
  },
  'get /api/v1/settings/threshold': { tag: 'identity', summary: 'The matching threshold in force and where it comes from', reply: ThresholdGet.reply, errors: [503, 504] },
  'put /api/v1/settings/threshold': {
    tag: 'identity', summary: 'Apply a matching threshold (admin); kept across restarts, `null` returns to the THRESHOLD variable',
    body: identity.thresholdBody, reply: ThresholdSet.reply, errors: [400, 401, 403, 415, 503, 504],
  },
  'post /api/v1/cameras': {
    tag: 'cameras', summary: 'Add an IP camera (kept across restarts, run by one capture instance)',
    description: 'The URL is checked against the stream policy (LAN hosts need `STREAM_ALLOWED_HOSTS`); its password is never shown back (`rtsp://user:***@host/…`).',
    body: CameraCreate.request, status: 201, reply: cameraSchema, errors: [400, 415, 503, 504],
  },
  'post /api/v1/cameras/test': {
    tag: 'cameras', summary: 'Test connection: one snapshot from a camera URL (nothing stored or recognized)',
    description: 'A capture instance opens the URL under the stream policy and answers the first frame as a base64 JPEG at most 640 px wide; 400 with the reason (redacted) when it cannot read it, 504 when no frame comes in time.',
    body: CameraProbe.request, reply: CameraProbe.reply, errors: [400, 415, 503, 504],
  },
  'get /api/v1/cameras': { tag: 'cameras', summary: 'Cameras with their state (paused, pending, starting, running, reconnecting) and instance', reply: CameraList.reply, errors: [503, 504] },
  'get /api/v1/cameras/{id}': { tag: 'cameras', summary: 'One camera', reply: cameraSchema, errors: [400, 404, 503, 504] },
  'patch /api/v1/cameras/{id}': { tag: 'cameras', summary: "Change a camera's settings (`enabled: false` pauses it)", body: CameraUpdate.patchSchema, reply: cameraSchema, errors: [400, 404, 409, 415, 503, 504] },
  'delete /api/v1/cameras/{id}': { tag: 'cameras', summary: 'Remove a camera (its capture instance stops it)', reply: cameraSchema, errors: [400, 404, 503, 504] },
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
  'post /api/v1/sessions': { tag: 'live camera', summary: 'A short-lived live-camera session', body: createSessionBody, bodyOptional: true, status: 201, reply: api.sessionReply, errors: [400, 415, 429, 503] },
  'options /api/v1/whip/{sessionId}': { tag: 'live camera', summary: 'WHIP preflight', status: 204, reply: null, errors: [] },
  'post /api/v1/whip/{sessionId}': {
    tag: 'live camera', summary: 'WHIP offer (RFC 9725), bearer token',
    body: { required: true, content: { 'application/sdp': { schema: { type: 'string' } } } }, status: 201,
    reply: { description: 'The SDP answer; `Location` names the resource', content: { 'application/sdp': { schema: { type: 'string' } } } },
    errors: [400, 401, 403, 409, 415, 429, 503],
  },
  'delete /api/v1/whip/{sessionId}/{resourceId}': { tag: 'live camera', summary: 'End the WHIP session (bearer token)', status: 200, reply: null, errors: [400, 401, 403, 404] },
  'patch /api/v1/whip/{sessionId}/{resourceId}': {
    tag: 'live camera', summary: 'Trickle ICE / ICE restart: not supported', status: 405, reply: null, open: true, errors: [400],
  },
  'post /api/v1/api-keys': {
    tag: 'admin', summary: 'Create an API key (admin scope)', description: 'The answer carries the key itself, shown only this once.',
    body: createKeyBody, status: 201, reply: apiKeyInfo.extend({ key: z.string() }), errors: [...KEY_ERRORS, 415],
  },
  'get /api/v1/api-keys': { tag: 'admin', summary: 'API keys, never their secrets (admin scope)', reply: z.strictObject({ items: z.array(apiKeyInfo) }), errors: KEY_ERRORS },
  'delete /api/v1/api-keys/{id}': { tag: 'admin', summary: 'Revoke an API key (admin scope)', status: 204, reply: null, errors: [...KEY_ERRORS, 404] },
  'post /api/v1/auth/session': {
    tag: 'auth', summary: "Sign in: trade an API key for the web client's HttpOnly session cookie",
    body: loginBody, status: 201, reply: uiSession, errors: [400, 401, 415, 429, 503],
  },
  'get /api/v1/auth/session': { tag: 'auth', summary: 'The signed-in session (cookie)', reply: uiSession, errors: [401, 503] },
  'delete /api/v1/auth/session': { tag: 'auth', summary: 'Sign out (revokes the cookie everywhere)', status: 204, reply: null, errors: [503] },
  'post /api/v1/webhooks': {
    tag: 'admin', summary: 'Register a webhook (admin scope)', description: 'Events are POSTed signed with `secret` (HMAC-SHA256); the answer never shows it.',
    body: createWebhookSchema, status: 201, reply: webhook, errors: [...WEBHOOK_ERRORS, 415],
  },
  'get /api/v1/webhooks': { tag: 'admin', summary: 'Webhooks (admin scope)', reply: z.strictObject({ items: z.array(webhook), total: z.number().int() }), errors: WEBHOOK_ERRORS },
  'get /api/v1/webhooks/{id}': {
    tag: 'admin', summary: 'A webhook with its delivery stats (admin scope)',
    reply: webhook.extend({ stats: statsSchema.extend({ pending: z.number().int().nullable() }) }), errors: [...WEBHOOK_ERRORS, 404],
  },
  'delete /api/v1/webhooks/{id}': { tag: 'admin', summary: 'Delete a webhook (admin scope)', status: 204, reply: null, errors: [...WEBHOOK_ERRORS, 404] },
  'post /api/v1/crops/rotate-key': {
    tag: 'privacy', summary: 'Re-seal up to `limit` face crops with the current crop key (admin scope)',
    description: 'Crops that are plaintext or sealed with an older key (CROP_KEY lists it after the current one) are re-sealed; repeat until `remaining` is 0 (`npm run crops -- rotate-key` does). See docs/privacy.md.',
    body: CropsRotate.request, bodyOptional: true, reply: CropsRotate.reply, errors: [400, 415, 503, 504],
  },
  'get /api/v1/persons/{id}/export': {
    tag: 'privacy', summary: 'Subject access: everything stored about a person, as a zip',
    description: '`person.json` (the person, faces with box, source and time, sightings, events in GLIMPSE_EVENTS, and the access history) and every crop, opened, as `crops/<face id>.jpg`. Encodings are not included. See docs/privacy.md.',
    reply: { description: 'A ZIP archive', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } }, errors: [400, 404, 503, 504],
  },
  'get /api/v1/audit': {
    tag: 'privacy', summary: 'The audit trail: who read or wrote face data, newest first (admin scope)',
    description: 'One record per call to a route that reads or writes face data: the caller (`actor.kind`/`actor.id`: the API key id, `bootstrap` for ADMIN_API_KEY, or a live session), route, status, persons touched, number of faces, client address and time. Filter by `keyId`, `personId`, `since`/`until` (ISO 8601). Kept `AUDIT_RETENTION_DAYS`. See docs/privacy.md.',
    query: auditQuery, reply: AuditList.reply, errors: BUS_ERRORS,
  },
  'get /api/v1/privacy': {
    tag: 'privacy', summary: 'How this Glimpse treats face data: recognition mode (remember or watchlist), crop encryption, retention',
    reply: PrivacyGet.reply, errors: [503, 504],
  },
  'get /healthz': {
    tag: 'health', summary: 'Each dependency; 503 when one is down',
    reply: api.healthReply, more: { 503: api.healthReply }, errors: [],
  },
};

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No content', 400: 'Invalid request or image', 401: 'Missing, forged or expired token',
  403: "The credentials lack the scope, or another session's token", 404: 'Not found', 405: 'Method not allowed', 409: 'Conflict', 413: 'Too large',
  415: 'Unsupported media type', 429: 'Too many requests (Retry-After says when to retry)', 503: 'A service is not running', 504: 'A service did not answer in time',
};

/**
 * Who may call a path: /api/v1 takes an API key (bearer or X-API-Key) or the web client's cookie, and
 * answers 401/403 for missing or too small credentials and 429 past its rate limits; WHIP takes the live
 * session's bearer token (its handler answers 401/403); sign-in, /healthz and the docs are open.
 */
function access(method: string, path: string): { security: Array<Record<string, string[]>>; errors: number[] } {
  if (!path.startsWith('/api/v1/') || method === 'options') return { security: [], errors: [] };
  if (path.startsWith('/api/v1/auth/session')) return { security: [], errors: [429] };
  if (path.startsWith('/api/v1/whip/')) return { security: [{ bearer: [] }], errors: [] };
  return { security: [{ bearer: [] }, { apiKey: [] }, { uiCookie: [] }], errors: [401, 403, 429] };
}

const SECURITY_SCHEMES: Record<string, SecuritySchemeObject> = {
  bearer: { type: 'http', scheme: 'bearer', description: 'An API key (`glk_…`); on WHIP, a live stream and its crops also the session token' },
  apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
  uiCookie: { type: 'apiKey', in: 'cookie', name: 'glimpse_ui', description: 'The web client\'s session (POST /api/v1/auth/session)' },
};

const problem = (e: number) => ({
  description: STATUS_TEXT[e] ?? 'Error', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

function operation(op: Op, method: string, path: string, pathParams: string[]): Schema {
  const q = op.query ? (json(op.query, 'input') as { properties?: Record<string, Schema>; required?: string[] }) : {};
  const parameters = [
    // a CORS preflight is answered whatever the path holds
    ...pathParams.map((name) => ({ name, in: 'path', required: true, schema: method === 'options' ? { type: 'string' } : pathParamSchema(path, name) })),
    ...Object.entries(q.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: !!q.required?.includes(name), schema })),
  ];
  const status = op.status ?? 200;
  const responses: Record<string, unknown> = {};
  if (op.reply === null) responses[status] = { description: STATUS_TEXT[status] ?? 'OK' };
  else if (op.reply && 'content' in op.reply && !(op.reply instanceof z.ZodType)) responses[status] = op.reply;
  else if (op.reply) responses[status] = { description: STATUS_TEXT[status], content: { 'application/json': { schema: json(op.reply as z.ZodType) } } };
  for (const [s, reply] of Object.entries(op.more ?? {})) responses[s] = { description: STATUS_TEXT[Number(s)], content: { 'application/json': { schema: json(reply) } } };
  const { security, errors } = op.open ? { security: [], errors: [] } : access(method, path);
  for (const e of [...new Set([...op.errors, ...errors])].sort((a, b) => a - b)) responses[e] = problem(e);
  const requestBody =
    op.body === undefined ? undefined
      : op.body instanceof z.ZodType ? { required: !op.bodyOptional, content: { 'application/json': { schema: json(op.body, 'input') } } }
        : op.body;
  return { tags: [op.tag], summary: op.summary, description: op.description, parameters, requestBody, responses, security };
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
  doc.components = {
    ...doc.components,
    schemas: { ...doc.components?.schemas, Problem: json(api.problemSchema) as never },
    securitySchemes: { ...doc.components?.securitySchemes, ...SECURITY_SCHEMES },
  };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item) as Array<keyof typeof item>) {
      const op = OPS[`${String(method)} ${path}`];
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      (item as Record<string, unknown>)[method] = op
        ? operation(op, String(method), path, params)
        : operation({ tag: 'other', summary: `${String(method).toUpperCase()} ${path}`, reply: null, errors: [400, 404] }, String(method), path, params);
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
