import { Controller, Delete, Options, Param, Patch, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { WhipOffer } from '@glimpse/contracts';
import { HttpProblem } from '../problem';
import { uploadedSdp } from '../upload';
import { ZodPipe } from '../zod.pipe';
import { validateOffer } from './sdp';
import { bearerToken } from './session-token';
import { SessionService } from './session.service';
import { WhipRelay } from './whip.service';
import { LiveSession, Public } from '../auth/access';

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

  @Options(':sessionId')
  @Public()
  options(@Res() res: Response): void {
    res.status(204).set({ Allow: 'OPTIONS, POST', 'Accept-Post': 'application/sdp' }).end();
  }

  /** The body is read by `sdpBodyParser` (app.ts); the token is checked before the body is judged. */
  @Post(':sessionId')
  @LiveSession('whip')
  async offer(@Param('sessionId', sessionPipe) sessionId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const claims = this.sessions.authorize(bearerToken(req.headers.authorization), { sessionId });
    const sdp = uploadedSdp(req);
    validateOffer(sdp);
    const answer = await this.whip.publish(claims, sdp);
    res
      .status(201)
      .set({ 'Content-Type': 'application/sdp', Location: answer.location, 'Cache-Control': 'no-store' })
      .end(answer.sdp);
  }

  @Delete(':sessionId/:resourceId')
  @LiveSession('whip')
  async close(@Param('sessionId', sessionPipe) sessionId: string, @Param('resourceId', resourcePipe) resourceId: string, @Req() req: Request) {
    const claims = this.sessions.authorize(bearerToken(req.headers.authorization), { sessionId });
    return this.whip.close(claims, resourceId);
  }

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
