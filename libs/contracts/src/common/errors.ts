import { z } from 'zod';

/**
 * Error codes that cross service boundaries. Each maps to one HTTP status at the gateway,
 * and `transient` says whether a caller may retry.
 */
export const ERROR_CODES = {
  INVALID_REQUEST: { status: 400, transient: false },
  INVALID_IMAGE: { status: 400, transient: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, transient: false },
  IMAGE_TOO_LARGE: { status: 413, transient: false },
  NOT_FOUND: { status: 404, transient: false },
  CONFLICT: { status: 409, transient: false },
  WORKER_UNAVAILABLE: { status: 503, transient: true },
  SERVICE_UNAVAILABLE: { status: 503, transient: true },
  /** A service shed the request to stay responsive: retry later, but a live stream should send a fresh frame instead. */
  OVERLOADED: { status: 503, transient: true },
  TIMEOUT: { status: 504, transient: true },
  INTERNAL: { status: 500, transient: false },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export const errorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

export const errorBodySchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** Every reply on the bus is wrapped so that failures travel as data, not as timeouts. */
export const replyEnvelope = <T extends z.ZodType>(data: T) =>
  z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), data }),
    z.object({ ok: z.literal(false), error: errorBodySchema }),
  ]);
