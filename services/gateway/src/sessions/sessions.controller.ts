import { Body, Controller, Header, Post } from '@nestjs/common';
import { z } from '@glimpse/contracts';
import { validate } from '../zod.pipe';
import { SessionService, type SessionInfo } from './session.service';
import { RequireScope } from '../auth/access';

export const createSessionBody = z.strictObject({
  /** Match threshold for this session's frames. */
  threshold: z.number().gt(0).lt(2).optional(),
  mode: z.enum(['whip', 'openvidu']).optional(),
});

@Controller('api/v1/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionService) {}

  /** 201 with a signed token; an empty body is the same as `{}`. */
  @Post()
  @RequireScope('write')
  @Header('Cache-Control', 'no-store')
  create(@Body() body: unknown): Promise<SessionInfo> {
    return this.sessions.create(validate(createSessionBody, body ?? {}, 'body'));
  }
}
