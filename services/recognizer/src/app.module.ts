import { Module, type DynamicModule } from '@nestjs/common';
import { BusModule, natsConnectionSettings } from '@glimpse/platform';
import { RECOGNIZER_CONFIG, type RecognizerConfig } from './config';
import { FrameHeartbeat } from './frame-heartbeat';
import { HealthService } from './health.service';
import { RecognizerHandlers } from './recognizer.handlers';
import { RecognizerService } from './recognizer.service';
import { WorkerProcess } from './worker.process';
import { WorkerRepository } from './worker.repository';

@Module({})
export class AppModule {
  static forRoot(cfg: RecognizerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        BusModule.forRoot({ servers: cfg.NATS_URL, name: cfg.INSTANCE_ID, connection: natsConnectionSettings(cfg) }),
      ],
      providers: [
        { provide: RECOGNIZER_CONFIG, useValue: cfg },
        {
          provide: WorkerRepository,
          useFactory: () =>
            new WorkerRepository({
              urls: cfg.WORKER_URLS,
              timeoutMs: cfg.WORKER_TIMEOUT_MS,
              pingIntervalMs: cfg.WORKER_PING_INTERVAL_MS,
            }),
        },
        WorkerProcess,
        RecognizerService,
        HealthService,
        FrameHeartbeat,
        RecognizerHandlers,
      ],
    };
  }
}
