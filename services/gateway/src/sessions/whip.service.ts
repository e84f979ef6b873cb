import { Inject, Injectable } from '@nestjs/common';
import { WhipClose, WhipOffer, type Stream } from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus } from '@glimpse/platform';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { explainUpstream, upstream } from '../upstream';
import { LiveStreamWatch } from './live-watch.service';
import type { SessionClaims } from './session-token';

/** Tries of an offer that meets a full capture instance. */
const OFFER_ATTEMPTS = 3;

export interface WhipAnswer {
  sdp: string;
  /** The WHIP resource, for DELETE. */
  location: string;
}

/** The gateway side of WHIP: hands the offer to one capture instance, and the DELETE to its owner. */
@Injectable()
export class WhipRelay {
  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly watch: LiveStreamWatch,
  ) {}

  async publish(claims: SessionClaims, sdp: string): Promise<WhipAnswer> {
    if (this.watch.isRunning(claims.streamId)) {
      throw new GlimpseError(
        'CONFLICT',
        'this session is already publishing: DELETE its WHIP resource first, or create a new session',
      );
    }
    const req: WhipOffer.Request = { sessionId: claims.sid, streamId: claims.streamId, sdp, threshold: claims.thr };
    const reply = await upstream(this.offer(req));
    this.watch.seen(reply.stream);
    return { sdp: reply.sdp, location: `/api/v1/whip/${claims.sid}/${reply.resourceId}` };
  }

  /** The queue group picks a capture instance at random: a full one is retried, as another may have room. */
  private async offer(req: WhipOffer.Request): Promise<WhipOffer.Reply> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.bus.request(WhipOffer.contract, req, this.cfg.REQUEST_TIMEOUT_MS);
      } catch (err) {
        const full =
          err instanceof GlimpseError && err.code === 'SERVICE_UNAVAILABLE' && /at capacity/.test(err.message);
        if (!full || attempt >= OFFER_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * Only the owner answers WhipClose, so the first reply is the one: a plain request returns as soon
   * as it comes, and silence (or no capture instance at all) within GATHER_TIMEOUT_MS means no owner.
   */
  async close(claims: SessionClaims, resourceId: string): Promise<Stream> {
    let stream: Stream;
    try {
      stream = await this.bus.request(
        WhipClose.contract,
        { sessionId: claims.sid, resourceId },
        this.cfg.GATHER_TIMEOUT_MS,
      );
    } catch (err) {
      if (err instanceof GlimpseError && (err.code === 'TIMEOUT' || /no service is answering/.test(err.message))) {
        throw new GlimpseError(
          'NOT_FOUND',
          `no WHIP session '${resourceId}': it has ended, or its capture instance is gone`,
        );
      }
      throw explainUpstream(err);
    }
    this.watch.seen(stream);
    return stream;
  }
}
