import { HttpException } from '@nestjs/common';
import { ERROR_CODES, type ErrorCode } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';

/** RFC 9457 problem details, plus Glimpse's stable error `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<ErrorCode, string> = {
  INVALID_REQUEST: 'Invalid request',
  INVALID_IMAGE: 'Invalid image',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  IMAGE_TOO_LARGE: 'Payload too large',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  WORKER_UNAVAILABLE: 'Face recognition worker unavailable',
  SERVICE_UNAVAILABLE: 'Service unavailable',
  TIMEOUT: 'Upstream timeout',
  INTERNAL: 'Internal error',
};

export function problemFor(code: ErrorCode, detail: string, status: number = ERROR_CODES[code].status): Problem {
  return {
    type: `urn:glimpse:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[code],
    status,
    detail: sanitizeDetail(detail) || TITLES[code],
    code,
  };
}

export function codeForStatus(status: number): ErrorCode {
  const exact = (Object.keys(ERROR_CODES) as ErrorCode[]).find(
    (c) => ERROR_CODES[c].status === status && c !== 'INVALID_IMAGE' && c !== 'WORKER_UNAVAILABLE',
  );
  if (exact) return exact;
  return status >= 500 ? 'INTERNAL' : 'INVALID_REQUEST';
}

/**
 * Maps anything thrown while serving a request to a problem. `internal` is set when the client
 * gets a generic message and the cause must be logged instead.
 */
export function toProblem(err: unknown): { problem: Problem; internal: boolean } {
  if (err instanceof GlimpseError) {
    if (err.code === 'INTERNAL') return { problem: problemFor('INTERNAL', 'internal error'), internal: true };
    return { problem: problemFor(err.code, err.message), internal: false };
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
