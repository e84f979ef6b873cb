import { frameMetaSchema, sourceSchema, streamSchema, z, type RecognitionEvent, type Stream } from '@glimpse/contracts';
import { apiRecognizedFace } from './api-schemas';
import { toApiFace } from './faces';

/** A stream id (or `upload` for HTTP uploads), or `*` for everything. */
export const topicSchema = z.union([sourceSchema, z.literal('*')], { message: "streamId must be a stream id or '*'" });

export const clientMessageSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('subscribe'), streamId: topicSchema }),
    z.strictObject({ type: z.literal('unsubscribe'), streamId: topicSchema }),
    z.strictObject({ type: z.literal('ping') }),
  ],
  { message: "type must be 'subscribe', 'unsubscribe' or 'ping'" },
);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export const MAX_CLIENT_MESSAGE_BYTES = 4096;

export type Parsed = { ok: true; message: ClientMessage } | { ok: false; error: string };

/** Client → server messages are small JSON objects; anything else gets a reason, never a disconnect. */
export function parseClientMessage(data: Buffer | string, isBinary = false): Parsed {
  if (isBinary) return { ok: false, error: 'binary messages are not supported; send JSON text' };
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (text.length > MAX_CLIENT_MESSAGE_BYTES) return { ok: false, error: 'message too long' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'message is not valid JSON' };
  }
  const parsed = clientMessageSchema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String).join('.');
  return { ok: false, error: path ? `${path}: ${issue.message}` : (issue?.message ?? 'invalid message') };
}

/**
 * Server → client messages. The OpenAPI document lists this schema (components WsServerMessage), so the
 * web client's types are generated from it like the HTTP replies'.
 */
export const serverMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('recognition'),
    streamId: sourceSchema,
    frame: frameMetaSchema,
    faces: z.array(apiRecognizedFace),
  }),
  /** A stream's state changed (started, ended, failed…). */
  z.strictObject({ type: z.literal('stream'), stream: streamSchema }),
  /** A refused message or connection; `code` when it is about access, `streamId` when about a subscription. */
  z.strictObject({
    type: z.literal('error'),
    message: z.string(),
    code: z.enum(['UNAUTHORIZED', 'FORBIDDEN']).optional(),
    streamId: topicSchema.optional(),
  }),
  z.strictObject({ type: z.literal('subscribed'), streamId: topicSchema }),
  z.strictObject({ type: z.literal('unsubscribed'), streamId: topicSchema }),
  z.strictObject({ type: z.literal('pong') }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** The wire form of a server message (typed, so what is sent is what the schema says). */
export const serverMessage = (m: ServerMessage): string => JSON.stringify(m);

export function recognitionMessage(p: RecognitionEvent.Payload): string {
  return serverMessage({
    type: 'recognition',
    streamId: p.frame.source,
    frame: p.frame,
    faces: p.faces.map((f) => toApiFace(f)),
  });
}

export const streamMessage = (stream: Stream) => serverMessage({ type: 'stream', stream });
