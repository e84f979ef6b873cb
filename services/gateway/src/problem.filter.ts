import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { HttpProblem, isTransient, PROBLEM_CONTENT_TYPE, toProblem } from './problem';

/** Every error leaves the gateway as `application/problem+json`; causes stay in the log. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly log = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const { problem, internal } = toProblem(exception);
    const where = `${req.method} ${req.originalUrl ?? req.url}`;
    if (internal) this.log.error(`${where}: ${String(exception)}`, (exception as Error)?.stack);
    // the client may have been given a generic detail (publicDetail): the log keeps the real one
    else if (problem.status >= 500) this.log.warn(`${where}: ${problem.status} ${(exception as Error)?.message ?? problem.detail}`);
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
}
