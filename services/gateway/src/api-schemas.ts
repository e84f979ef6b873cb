import {
  boxSchema,
  encodingSchema,
  FaceMove,
  FaceSearch,
  FacesList,
  PersonDelete,
  PersonEnroll,
  PersonMerge,
  personDetailSchema,
  personSchema,
  recognizedFaceSchema,
  sightingSchema,
  StreamUpdate,
  streamSchema,
  verifyResultSchema,
  z,
} from '@glimpse/contracts';

/** What the HTTP API answers, as zod: the OpenAPI document is generated from these. */

const url = z.string().nullable();
const page = <T extends z.ZodType>(item: T) =>
  z.strictObject({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int() });

export const problemSchema = z.strictObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  instance: z.string().optional(),
});

export const apiPerson = personSchema.extend({ coverUrl: url });
export const apiFace = FacesList.faceSchema.extend({ cropUrl: url });
export const apiPersonDetail = personDetailSchema.extend({
  coverUrl: url,
  faces: z.array(personDetailSchema.shape.faces.element.extend({ cropUrl: url })),
});
export const apiSighting = sightingSchema.extend({ cropUrl: url });
/** A face as recognize answers it, and as the WebSocket's recognition messages carry it. */
export const apiRecognizedFace = recognizedFaceSchema.extend({ cropUrl: url });
export const recognizeReply = z.strictObject({
  faces: z.array(apiRecognizedFace),
  /** `?annotated=true`: the picture as the recognizer saw it, with boxes and names, as a base64 JPEG (bystanders blurred under BLUR_UNKNOWN). */
  annotated: z.base64().optional(),
});
export const encodeReply = z.strictObject({
  faces: z.array(z.strictObject({ box: boxSchema, encoding: encodingSchema })),
});
export const enrollReply = apiPerson.extend({
  created: z.boolean(),
  faces: z.array(z.strictObject({ id: z.uuid(), box: boxSchema, cropUrl: url })),
  similarPersons: z.array(PersonEnroll.similarPersonSchema.extend({ url: z.string() })),
});
export const mergeReply = PersonMerge.reply.extend({ person: apiPerson });
export const moveReply = FaceMove.reply.extend({ person: apiPerson });
export const searchReply = z.strictObject({
  face: z.strictObject({ box: boxSchema }),
  threshold: z.number(),
  results: z.array(FaceSearch.resultSchema.extend({ cropUrl: url })),
});
export const verifyReply = verifyResultSchema.extend({
  a: z.strictObject({ box: boxSchema }),
  b: z.strictObject({ box: boxSchema }),
});
export const personsPage = page(apiPerson);
export const facesPage = page(apiFace);
export const sightingsPage = page(apiSighting);
export const deleteReply = PersonDelete.reply;
export const streamReply = streamSchema;
export const streamsReply = z.strictObject({ items: z.array(streamSchema) });
export const streamUpdateReply = StreamUpdate.reply;
export const healthReply = z.object({
  status: z.enum(['ok', 'error']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
});
export const sessionReply = z.object({
  sessionId: z.string(),
  token: z.string(),
  expiresAt: z.iso.datetime(),
  streamId: z.string(),
  whipUrl: z.string(),
  mode: z.enum(['whip', 'openvidu']),
  /** OpenVidu mode: the PUBLISHER connection's token. */
  openvidu: z.object({ sessionId: z.string(), token: z.string(), serverUrl: z.string() }).optional(),
});
