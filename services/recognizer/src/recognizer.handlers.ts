import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { FrameEncode, FrameRecognize, HealthCheck } from '@glimpse/contracts';
import { Bus, InjectBus, Semaphore } from '@glimpse/platform';
import { RECOGNIZER_CONFIG, type RecognizerConfig } from './config';
import { HealthService } from './health.service';
import { RecognizerService } from './recognizer.service';

/** The recognizer's bus surface; the logic lives in RecognizerService. */
@Injectable()
export class RecognizerHandlers implements OnApplicationBootstrap {
  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(RECOGNIZER_CONFIG) private readonly cfg: RecognizerConfig,
    private readonly recognizer: RecognizerService,
    private readonly health: HealthService,
  ) {}

  onApplicationBootstrap(): void {
    // One budget for both subjects: CONCURRENCY counts frames at the worker, whichever way they came.
    const slots = new Semaphore(this.cfg.CONCURRENCY);
    const opts = { concurrency: this.cfg.CONCURRENCY };
    this.bus.handleBinary(FrameRecognize.contract, (m) => withSlot(slots, () => this.recognizer.recognize(m)), {
      ...opts,
      queue: FrameRecognize.queue,
    });
    this.bus.handleBinary(FrameEncode.contract, (m) => withSlot(slots, () => this.recognizer.encode(m)), {
      ...opts,
      queue: FrameEncode.queue,
    });
    this.bus.handle(HealthCheck.contractFor('recognizer'), () => this.health.check());
  }
}

async function withSlot<T>(slots: Semaphore, work: () => Promise<T>): Promise<T> {
  await slots.acquire();
  try {
    return await work();
  } finally {
    slots.release();
  }
}
