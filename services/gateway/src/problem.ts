import { HttpException } from '@nestjs/common';
import { ERROR_CODES, type ErrorCode } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';

/** HTTP-only failures: they concern the caller's credentials or method and never cross the bus. */
export const HTTP_CODES = {
  UNAUTHORIZED: { status: 401, transient: false },
  FORBIDDEN: { status: 403, transient: false },
  METHOD_NOT_ALLOWED: { status: 405, transient: false },
  /** A JSON, SDP or video body over its limit (images have IMAGE_TOO_LARGE, which also crosses the bus). */
  BODY_TOO_LARGE: { status: 413, transient: false },
} as const;
export type HttpCode = keyof typeof HTTP_CODES;
export type ProblemCode = ErrorCode | HttpCode;

const statusOf = (code: ProblemCode) =>
  code in HTTP_CODES ? HTTP_CODES[code as HttpCode] : ERROR_CODES[code as ErrorCode];

/** A gateway-only error with its status, and headers the answer must carry (`WWW-Authenticate`, `Allow`). */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  constructor(
    readonly code: HttpCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** RFC 9457 problem details, plus Glimpse's stable error `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<ProblemCode, string> = {
  UNAUTHORIZED: 'Unauthorized',
  FORBIDDEN: 'Forbidden',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  BODY_TOO_LARGE: 'Payload too large',
  INVALID_REQUEST: 'Invalid request',
  INVALID_IMAGE: 'Invalid image',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  IMAGE_TOO_LARGE: 'Payload too large',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  WORKER_UNAVAILABLE: 'Face recognition worker unavailable',
  SERVICE_UNAVAILABLE: 'Service unavailable',
  OVERLOADED: 'Overloaded',
  TIMEOUT: 'Upstream timeout',
  INTERNAL: 'Internal error',
};

/** Whether a caller may retry after this problem. */
export const isTransient = (code: ProblemCode) => statusOf(code).transient;

export function problemFor(code: ProblemCode, detail: string, status: number = statusOf(code).status): Problem {
  return {
    type: `urn:glimpse:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[code],
    status,
    detail: sanitizeDetail(detail) || TITLES[code],
    code,
  };
}

export function codeForStatus(status: number): ProblemCode {
  const exact = (Object.keys(ERROR_CODES) as ErrorCode[]).find(
    // a bare 413 (body-parser, a proxy) is about the body, not necessarily an image
    (c) =>
      ERROR_CODES[c].status === status &&
      c !== 'INVALID_IMAGE' &&
      c !== 'WORKER_UNAVAILABLE' &&
      c !== 'IMAGE_TOO_LARGE',
  );
  if (exact) return exact;
  const http = (Object.keys(HTTP_CODES) as HttpCode[]).find((c) => HTTP_CODES[c].status === status);
  if (http) return http;
  return status >= 500 ? 'INTERNAL' : 'INVALID_REQUEST';
}

/**
 * Maps anything thrown while serving a request to a problem. `internal` is set when the client
 * gets a generic message and the cause must be logged instead.
 */
export function toProblem(err: unknown): { problem: Problem; internal: boolean } {
  if (err instanceof HttpProblem) return { problem: problemFor(err.code, err.message), internal: false };
  if (err instanceof GlimpseError) {
    if (err.code === 'INTERNAL') return { problem: problemFor('INTERNAL', 'internal error'), internal: true };
    return { problem: problemFor(err.code, publicDetail(err.code, err.message)), internal: false };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    return { problem: problemFor(codeForStatus(status), httpExceptionDetail(err), status), internal: status >= 500 };
  }
  // http-errors (body-parser, express) carry a status and say whether their message is safe to show.
  const e = err as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown };
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : 0;
  if (status >= 400 && status < 500 && e.expose !== false) {
    return { problem: problemFor(codeForStatus(status), String(e.message ?? ''), status), internal: false };
  }
  return { problem: problemFor('INTERNAL', 'internal error'), internal: true };
}

/**
 * 5xx messages that say which part is down or full and nothing internal: composed by the gateway
 * (`explainUpstream`), by capture about its capacity, or about OpenVidu, whose URL browsers use anyway.
 */
const PUBLIC_5XX = [
  /^the \w+ service (is not running|did not answer in time)\b/,
  /^capture instance (at capacity|is shutting down)\b/,
  /^OpenVidu at \S+ /,
];

const GENERIC_5XX: Partial<Record<ProblemCode, string>> = {
  WORKER_UNAVAILABLE: 'the face recognition worker is unavailable; retry later',
  SERVICE_UNAVAILABLE: 'a Glimpse service is unavailable; retry later',
  OVERLOADED: 'Glimpse is at capacity and shed this request; retry later',
  TIMEOUT: 'a Glimpse service did not answer in time; retry later',
};

/**
 * What a client may read of an error: 4xx messages are written for the caller; other 5xx messages
 * may carry worker URLs, file paths or driver errors, so they stay in the log and the client gets
 * a generic sentence.
 */
export function publicDetail(code: ProblemCode, message: string): string {
  if (statusOf(code).status < 500 || PUBLIC_5XX.some((re) => re.test(message))) return message;
  return GENERIC_5XX[code] ?? TITLES[code];
}

function httpExceptionDetail(err: HttpException): string {
  const res = err.getResponse();
  if (typeof res === 'string') return res;
  const message = (res as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : err.message;
}

/** Keeps only the first line, drops stack frames and source paths, and bounds the length. */
export function sanitizeDetail(detail: string): string {
  const firstLine = detail.split('\n')[0] ?? '';
  return firstLine
    .replace(/\s+at\s+\S+\s+\(?\S+:\d+:\d+\)?/g, '')
    .replace(/(?:file:\/\/)?(?:\/[\w.@-]+)+\.(?:[cm]?js|ts|py)(?::\d+){0,2}/g, '<source>')
    .trim()
    .slice(0, 1000);
}
