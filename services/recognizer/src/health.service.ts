import { Inject, Injectable } from '@nestjs/common';
import type { HealthCheck } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { RECOGNIZER_CONFIG, type RecognizerConfig } from './config';
import { WorkerRepository } from './worker.repository';

/** Answers `glimpse.health.recognizer`: NATS, and whether at least one worker answers its ping. */
@Injectable()
export class HealthService {
  constructor(
    @Inject(RECOGNIZER_CONFIG) private readonly cfg: RecognizerConfig,
    private readonly worker: WorkerRepository,
    @InjectBus() private readonly bus: Bus,
  ) {}

  async check(): Promise<HealthCheck.Reply> {
    const workers = await this.worker.ping();
    const nats = this.bus.isConnected();
    const worker = workers.some((w) => w.ok);
    return {
      service: 'recognizer',
      instance: this.cfg.INSTANCE_ID,
      ok: nats && worker,
      checks: {
        nats: { ok: nats, detail: this.bus.serverDetail() },
        worker: {
          ok: worker,
          detail: workers.map((w) => `${w.url}: ${w.ok ? 'ok' : 'down'} (${w.detail})`).join('; '),
        },
      },
    };
  }
}
