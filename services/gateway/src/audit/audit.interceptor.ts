import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { tap, type Observable } from 'rxjs';
import type { AuditRecord } from '@glimpse/contracts';
import { principalOf } from '../auth/auth.guard';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { AuditRecorder } from './audit.recorder';
import { auditCountOf, touched, type CallFacts, type FaceCount } from './audit.routes';

type Noted = NonNullable<CallFacts['noted']>;
const NOTED = Symbol('glimpse:audit-noted');
/** nginx's code for a client that went away before the answer. */
const CLIENT_CLOSED = 499;

/** For a handler whose answer is not JSON (a file): what it touched, for its audit record. */
export function noteAudit(req: Request, noted: Noted): void {
  (req as Request & { [NOTED]?: Noted })[NOTED] = noted;
}

/**
 * Appends an audit record (docs/privacy.md) for every call to a route that reads or writes face data
 * (`@Audited`, audit.routes.ts), once it is answered or failed: who (the API key or cookie's key id, ADMIN_API_KEY,
 * or a live session), what (route, status, persons touched, faces), when and from where. Runs after the
 * AuthGuard, so calls refused by it are not recorded (they touched nothing). Never awaits the store.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly recorder: AuditRecorder,
    @Inject(GATEWAY_CONFIG) private readonly cfg: Pick<GatewayConfig, 'AUDIT_ENABLED'>,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.cfg.AUDIT_ENABLED || ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<Request>();
    const route = (req.route as { path?: unknown } | undefined)?.path;
    const count = auditCountOf(ctx.getHandler());
    if (!count || typeof route !== 'string') return next.handle();
    const at = new Date();
    const res = ctx.switchToHttp().getResponse<Response>();
    let reply: unknown = null;
    // 'close' comes after the answer went out (or the client left): the status is then the real one,
    // whether the handler returned, threw (the ProblemFilter's status) or wrote the response itself
    res.once('close', () => {
      // auditing is best effort by design (a bounded buffer): it must never fail the caller's request
      try {
        this.recorder.record(
          this.recordOf(req, route, count, at, res.writableFinished ? res.statusCode : CLIENT_CLOSED, reply),
        );
      } catch {
        /* nothing to add about a request that broke the record's own schema */
      }
    });
    return next.handle().pipe(tap({ next: (value) => (reply = value) }));
  }

  private recordOf(
    req: Request,
    route: string,
    count: FaceCount,
    at: Date,
    status: number,
    reply: unknown,
  ): AuditRecord {
    const p = principalOf(req);
    const params = Object.fromEntries(
      Object.entries(req.params ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join('/') : v]),
    );
    const actor: AuditRecord['actor'] =
      p && p.kind !== 'session' ? { kind: p.kind, id: p.keyId } : { kind: 'session', id: params.sessionId ?? null };
    const facts: CallFacts = { params, body: req.body, reply, noted: (req as Request & { [NOTED]?: Noted })[NOTED] };
    return {
      id: randomUUID(),
      at: at.toISOString(),
      actor,
      method: req.method as AuditRecord['method'],
      route,
      status,
      ...touched(route, count, facts),
      ip: (req.ip ?? req.socket?.remoteAddress ?? null)?.slice(0, 64) ?? null,
    };
  }
}
