import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { OpenViduSubscribe } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { OpenViduService } from './openvidu.service';

/** OpenViduSubscribe on the bus (queue group `capture`: one instance joins each session). */
@Injectable()
export class OpenViduHandlers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private sub?: ReturnType<Bus['handle']>;

  constructor(
    @InjectBus() private readonly bus: Bus,
    private readonly openvidu: OpenViduService,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.handle(OpenViduSubscribe.contract, (req) => this.openvidu.subscribe(req), {
      queue: OpenViduSubscribe.queue,
    });
  }

  /** New sessions go to other instances; the ones still waiting for a publisher are left. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.sub?.drain().catch(() => undefined);
    this.openvidu.shutdown();
  }
}
