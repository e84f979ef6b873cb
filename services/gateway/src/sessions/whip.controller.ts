import { Controller, Delete, Options, Param, Patch, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { WhipOffer } from '@glimpse/contracts';
import { HttpProblem } from '../problem';
import { Sdp, SdpBody } from '../http/body';
import { ZodPipe } from '../zod.pipe';
import { validateOffer } from './sdp';
import { bearerToken } from './session-token';
import { SessionService } from './session.service';
import { WhipRelay } from './whip.service';
import { LiveSession, Public } from '../auth/access';
import { Doc } from '../openapi/doc';
import { RateLimited } from '../security/limits';
import { Audited, AuditCount } from '../audit/audit.routes';

const sessionPipe = new ZodPipe(WhipOffer.sessionIdSchema);
const resourcePipe = new ZodPipe(WhipOffer.resourceIdSchema);

/**
 * WHIP (RFC 9725): POST an SDP offer with the session's bearer token, get 201 with the answer and
 * a Location to DELETE when done. Offers must carry their candidates: no trickle ICE (PATCH is 405).
 */
@Controller('api/v1/whip')
export class WhipController {
  constructor(
    private readonly sessions: SessionService,
    private readonly whip: WhipRelay,
  ) {}

  @Doc({ tag: 'live camera', summary: 'WHIP preflight', status: 204, reply: null, errors: [] })
  @Options(':sessionId')
  @Public()
  options(@Res() res: Response): void {
    res.status(204).set({ Allow: 'OPTIONS, POST', 'Accept-Post': 'application/sdp' }).end();
  }

  /** The token is checked (AuthGuard, and here for its claims) before the body is judged. */
  @Doc({
    tag: 'live camera',
    summary: 'WHIP offer (RFC 9725), bearer token',
    status: 201,
    reply: {
      description: 'The SDP answer; `Location` names the resource',
      content: { 'application/sdp': { schema: { type: 'string' } } },
    },
    errors: [400, 401, 403, 409, 415, 429, 503],
  })
  @Audited(AuditCount.none)
  @Post(':sessionId')
  @LiveSession('whip')
  @RateLimited('whip')
  @SdpBody()
  async offer(
    @Param('sessionId', sessionPipe) sessionId: string,
    @Sdp() offer: () => string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const claims = this.sessions.authorize(bearerToken(req.headers.authorization), { sessionId });
    const sdp = offer();
    validateOffer(sdp);
    const answer = await this.whip.publish(claims, sdp);
    res
      .status(201)
      .set({ 'Content-Type': 'application/sdp', Location: answer.location, 'Cache-Control': 'no-store' })
      .end(answer.sdp);
  }

  @Doc({
    tag: 'live camera',
    summary: 'End the WHIP session (bearer token)',
    status: 200,
    reply: null,
    errors: [400, 401, 403, 404],
  })
  @Delete(':sessionId/:resourceId')
  @LiveSession('whip')
  async close(
    @Param('sessionId', sessionPipe) sessionId: string,
    @Param('resourceId', resourcePipe) resourceId: string,
    @Req() req: Request,
  ) {
    const claims = this.sessions.authorize(bearerToken(req.headers.authorization), { sessionId });
    return this.whip.close(claims, resourceId);
  }

  @Doc({
    tag: 'live camera',
    summary: 'Trickle ICE / ICE restart: not supported',
    status: 405,
    reply: null,
    open: true,
    errors: [400],
  })
  @Patch(':sessionId/:resourceId')
  @Public() // always 405: nothing to protect
  trickle(): never {
    throw new HttpProblem(
      'METHOD_NOT_ALLOWED',
      'Glimpse does not take trickle ICE: send one offer with all candidates (wait for ICE gathering to complete), or restart with a new offer',
      { Allow: 'DELETE' },
    );
  }
}
