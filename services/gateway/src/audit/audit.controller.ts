import { Controller, Get, Query } from '@nestjs/common';
import { AuditList, uuidSchema, z } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { RequireScope } from '../auth/access';
import { upstream } from '../upstream';
import { ZodPipe } from '../zod.pipe';
import { dateTimeParam } from '../library';
import { Doc, BUS_ERRORS } from '../openapi/doc';
import { Audited, AuditCount } from './audit.routes';

/** `GET /api/v1/audit` filters: `keyId` (an API key id, `bootstrap` for ADMIN_API_KEY), `personId`, `since`/`until`. */
export const auditQuery = z.strictObject({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(50),
  keyId: z.string().min(1).max(128).optional(),
  personId: uuidSchema.optional(),
  since: dateTimeParam.optional(),
  until: dateTimeParam.optional(),
});

/** The audit trail (docs/privacy.md): who read or wrote face data, newest first. Admin scope. */
@Controller('api/v1')
export class AuditController {
  constructor(@InjectBus() private readonly bus: Bus) {}

  @Doc({
    tag: 'privacy',
    summary: 'The audit trail: who read or wrote face data, newest first (admin scope)',
    description:
      'One record per call to a route that reads or writes face data: the caller (`actor.kind`/`actor.id`: the API key id, `bootstrap` for ADMIN_API_KEY, or a live session), route, status, persons touched, number of faces, client address and time. Filter by `keyId`, `personId`, `since`/`until` (ISO 8601). Kept `AUDIT_RETENTION_DAYS`. See docs/privacy.md.',
    reply: AuditList.reply,
    errors: BUS_ERRORS,
  })
  @Audited(AuditCount.none)
  @Get('audit')
  @RequireScope('admin')
  async list(@Query(new ZodPipe(auditQuery)) q: z.infer<typeof auditQuery>) {
    const { keyId, ...rest } = q;
    return upstream(this.bus.request(AuditList.contract, { ...rest, ...(keyId ? { actorId: keyId } : {}) }));
  }
}
