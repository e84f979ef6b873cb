import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Server } from 'node:http';
import { FrameEncode, FrameRecognize, HealthCheck } from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus, Semaphore } from '@glimpse/platform';
import { RECOGNIZER_CONFIG, type RecognizerConfig } from './config';
import { HealthService } from './health.service';
import { createMetricsServer, RecognizerMetrics } from './metrics';
import { RecognizerService } from './recognizer.service';

/** The recognizer's bus surface; the logic lives in RecognizerService. */
@Injectable()
export class RecognizerHandlers implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly metrics = new RecognizerMetrics(true);
  private server?: Server;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(RECOGNIZER_CONFIG) private readonly cfg: RecognizerConfig,
    private readonly recognizer: RecognizerService,
    private readonly health: HealthService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // One budget for both subjects: CONCURRENCY counts frames at the worker, whichever way they came.
    const slots = new Semaphore(this.cfg.CONCURRENCY);
    const opts = { concurrency: this.cfg.CONCURRENCY };
    this.bus.handleBinary(FrameRecognize.contract, (m) => this.withSlot(slots, 'recognize', () => this.recognizer.recognize(m)), {
      ...opts,
      queue: FrameRecognize.queue,
    });
    this.bus.handleBinary(FrameEncode.contract, (m) => this.withSlot(slots, 'encode', () => this.recognizer.encode(m)), {
      ...opts,
      queue: FrameEncode.queue,
    });
    this.bus.handle(HealthCheck.contractFor('recognizer'), () => this.health.check());
    if (this.cfg.METRICS_PORT) {
      this.server = await createMetricsServer(this.metrics.registry, this.cfg.METRICS_PORT);
      new Logger('RecognizerHandlers').log(`Prometheus metrics at http://0.0.0.0:${this.cfg.METRICS_PORT}/metrics`);
    }
  }

  onApplicationShutdown(): void {
    this.server?.close();
  }

  private async withSlot<T extends { timings: Record<string, number>; faces: unknown[] }>(
    slots: Semaphore,
    kind: 'recognize' | 'encode',
    work: () => Promise<T>,
  ): Promise<T> {
    const m = this.metrics;
    m.framesIn.inc({ kind });
    const queued = performance.now();
    m.queueDepth.inc();
    await slots.acquire();
    m.queueDepth.dec();
    m.stage.observe({ stage: 'queue' }, (performance.now() - queued) / 1000);
    m.inFlight.inc();
    try {
      const reply = await work();
      m.framesProcessed.inc({ kind });
      m.faces.inc(reply.faces.length);
      m.observeTimings(reply.timings);
      return reply;
    } catch (err) {
      m.framesFailed.inc({ kind, code: err instanceof GlimpseError ? err.code : 'INTERNAL' });
      throw err;
    } finally {
      m.inFlight.dec();
      slots.release();
    }
  }
}
