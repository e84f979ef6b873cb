import { Body, Controller, Header, Post } from '@nestjs/common';
import { z } from '@glimpse/contracts';
import { JsonBody } from '../http/body';
import { ZodPipe } from '../zod.pipe';
import { SessionService, type SessionInfo } from './session.service';
import { RequireScope } from '../auth/access';
import { Doc } from '../openapi/doc';
import * as api from '../api-schemas';
import { RateLimited } from '../security/limits';
import { Audited, AuditCount } from '../audit/audit.routes';

export const createSessionBody = z.strictObject({
  /** Match threshold for this session's frames. */
  threshold: z.number().gt(0).lt(2).optional(),
  mode: z.enum(['whip', 'openvidu']).optional(),
});

@Controller('api/v1/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionService) {}

  /** 201 with a signed token; an empty body is the same as `{}`. */
  @Doc({
    tag: 'live camera',
    summary: 'A short-lived live-camera session',
    status: 201,
    reply: api.sessionReply,
    errors: [400, 415, 429, 503],
  })
  @Audited(AuditCount.none)
  @Post()
  @RequireScope('write')
  @Header('Cache-Control', 'no-store')
  @RateLimited('session')
  @JsonBody({ optional: true })
  create(
    @Body(new ZodPipe(createSessionBody, { emptyBody: {} })) body: z.infer<typeof createSessionBody>,
  ): Promise<SessionInfo> {
    return this.sessions.create(body);
  }
}
