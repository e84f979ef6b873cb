import { Catch, Logger, NotFoundException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isAdmitted } from './auth/auth.guard';
import { HttpProblem, isTransient, PROBLEM_CONTENT_TYPE, problemFor, toProblem, type Problem } from './problem';
import { refuseProblem, tooManyRequests, TooManyRequests } from './security/respond';
import { isApiPath } from './security/path';
import { allowedMethods } from './security/router';

/**
 * Every error leaves the gateway as `application/problem+json`; causes stay in the log. A request that
 * never got past AuthGuard (no route, wrong method, 401/403/429) has not had its body read: it is
 * answered with `Connection: close` so that an unread upload costs nothing but its headers.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly log = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    if (!isAdmitted(req) && this.refuse(exception, req, res)) return;
    const { problem, internal } = toProblem(exception);
    const where = `${req.method} ${req.originalUrl ?? req.url}`;
    if (internal) this.log.error(`${where}: ${String(exception)}`, (exception as Error)?.stack);
    // the client may have been given a generic detail (publicDetail): the log keeps the real one
    else if (problem.status >= 500)
      this.log.warn(`${where}: ${problem.status} ${(exception as Error)?.message ?? problem.detail}`);
    else this.log.debug(`${where}: ${problem.status} ${problem.detail}`);

    if (res.headersSent) {
      res.end();
      return;
    }
    res.removeHeader('Content-Disposition');
    res.status(problem.status);
    res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
    res.setHeader('Cache-Control', 'no-store');
    if (isTransient(problem.code)) res.setHeader('Retry-After', '5');
    if (exception instanceof HttpProblem) for (const [k, v] of Object.entries(exception.headers)) res.setHeader(k, v);
    res.end(JSON.stringify({ ...problem, instance: req.path }));
  }

  /** Refusals before the body was read: unrouted paths (404), unrouted methods (405 with Allow), the guard's 401/403/429. */
  private refuse(exception: unknown, req: Request, res: Response): boolean {
    if (exception instanceof TooManyRequests) {
      tooManyRequests(res, exception.detail, exception.retryAfterS);
      return true;
    }
    if (exception instanceof HttpProblem) {
      this.log.debug(`${req.method} ${req.path}: refused ${exception.code} ${exception.message}`);
      refuseProblem(res, problemFor(exception.code, exception.message), exception.headers);
      return true;
    }
    // Nest's own answer when no route matched (its not-found handler); handlers throw GlimpseError/HttpProblem
    if (!(exception instanceof NotFoundException) || !/^Cannot [A-Z]+ /.test(exception.message)) return false;
    const allow = allowedMethods(req);
    if (!allow.length && !isApiPath(req.path)) return false; // a page's missing file: a plain 404
    if (allow.length) {
      const problem: Problem = problemFor(
        'METHOD_NOT_ALLOWED',
        `${req.method} is not allowed here; allowed: ${allow.join(', ')}`,
      );
      refuseProblem(res, problem, { Allow: allow.join(', ') });
    } else {
      refuseProblem(res, problemFor('NOT_FOUND', `no such API route: ${req.method} ${req.path}`));
    }
    return true;
  }
}
