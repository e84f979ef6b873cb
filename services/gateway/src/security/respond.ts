import type { Response } from 'express';
import { PROBLEM_CONTENT_TYPE, type Problem } from '../problem';

/**
 * Answers a request that was refused before its body was read: the body is left unread and the
 * connection is closed after the answer (`Connection: close`), so a refused 30 MB upload costs
 * the gateway nothing but the headers.
 */
export function refuse(res: Response, status: number, body: object, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res
    .status(status)
    .set({ ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', Connection: 'close' });
  res.end(JSON.stringify(body));
}

/** As refuse, for a problem (401, 403, 404, 405) and the headers it carries (`WWW-Authenticate`, `Allow`). */
export function refuseProblem(res: Response, problem: Problem, headers: Record<string, string> = {}): void {
  refuse(res, problem.status, problem, headers);
}

/** 429 problem+json with Retry-After. Its own code: rate limits are the gateway's alone and never cross the bus. */
export function tooManyRequests(res: Response, detail: string, retryAfterS: number): void {
  refuse(
    res,
    429,
    {
      type: 'urn:glimpse:problem:too-many-requests',
      title: 'Too many requests',
      status: 429,
      detail,
      code: 'TOO_MANY_REQUESTS',
    },
    { 'Retry-After': String(retryAfterS) },
  );
}

/** A rate limit's refusal, thrown by AuthGuard and answered by ProblemFilter with `tooManyRequests`. */
export class TooManyRequests extends Error {
  override readonly name = 'TooManyRequests';
  readonly code = 'TOO_MANY_REQUESTS';
  constructor(
    readonly detail: string,
    readonly retryAfterS: number,
  ) {
    super(detail);
  }
}
