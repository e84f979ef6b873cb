import type { Response } from 'express';
import { PROBLEM_CONTENT_TYPE, problemFor, type HttpProblem } from '../problem';

/**
 * Answers a request that was refused before its body was read: the body is left unread and the
 * connection is closed after the answer (`Connection: close`), so a refused 30 MB upload costs
 * the gateway nothing but the headers.
 */
export function refuse(res: Response, status: number, body: object, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.status(status).set({ ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', Connection: 'close' });
  res.end(JSON.stringify(body));
}

/** As refuse, for a gateway HttpProblem (401, 403). */
export function refuseProblem(res: Response, err: HttpProblem): void {
  const problem = problemFor(err.code, err.message);
  refuse(res, problem.status, problem, err.headers);
}

/** 429 problem+json with Retry-After. Its own code: rate limits are the gateway's alone and never cross the bus. */
export function tooManyRequests(res: Response, detail: string, retryAfterS: number): void {
  refuse(
    res,
    429,
    { type: 'urn:glimpse:problem:too-many-requests', title: 'Too many requests', status: 429, detail, code: 'TOO_MANY_REQUESTS' },
    { 'Retry-After': String(retryAfterS) },
  );
}
