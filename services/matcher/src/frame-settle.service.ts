import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { FrameSettle } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { Database } from './database/database';
import { FaceRepository } from './face.repository';
import { ABANDONED, FrameLedgerRepository } from './frame-ledger.repository';

/**
 * FrameSettle: what became of a frame its requester gives up on. Its recorded reply when it was stored;
 * else the frame id is recorded as abandoned, under the MATCHING lock that MatchFaces holds while it
 * stores, so a MatchFaces for that frame still on its way (from an instance that held it) stores nothing.
 */
@Injectable()
export class FrameSettleService implements OnApplicationBootstrap {
  private readonly log = new Logger(FrameSettleService.name);

  constructor(
    @InjectBus() private readonly bus: Bus,
    private readonly db: Database,
    private readonly faces: FaceRepository,
    private readonly ledger: FrameLedgerRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.bus.handle(FrameSettle.contract, (req) => this.settle(req), { queue: FrameSettle.queue });
  }

  async settle({ frameId }: FrameSettle.Request): Promise<FrameSettle.Reply> {
    const reply = await this.db.transaction(async (tx): Promise<FrameSettle.Reply> => {
      await this.faces.lockForMatching(tx);
      const recorded = await this.ledger.find(tx, frameId);
      if (recorded === ABANDONED) return { state: 'abandoned' };
      if (recorded) return { state: 'stored', faces: recorded.faces };
      await this.ledger.abandon(tx, frameId);
      return { state: 'abandoned' };
    });
    this.log.log(
      `frame ${frameId} given up by its requester: ${reply.state === 'stored' ? 'it was stored, answering its reply' : 'not stored, and now never will be'}`,
    );
    return reply;
  }
}
