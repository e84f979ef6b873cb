import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { FrameEncode, FrameRecognize, HealthCheck } from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus } from '@glimpse/platform';
import { Admission, ShedError } from './admission';
import { RECOGNIZER_CONFIG, type RecognizerConfig } from './config';
import { FrameHeartbeat } from './frame-heartbeat';
import { HealthService } from './health.service';
import { RecognizerMetrics } from './metrics';
import { RecognizerService } from './recognizer.service';

/** Bus deliveries beyond the admitted frames: shedding is instant, so these only have to cover bursts. */
const SHED_HEADROOM = 64;

/** The recognizer's bus surface; the logic lives in RecognizerService. */
@Injectable()
export class RecognizerHandlers implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly metrics = new RecognizerMetrics(true);
  private readonly admission: Admission;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(RECOGNIZER_CONFIG) private readonly cfg: RecognizerConfig,
    private readonly recognizer: RecognizerService,
    private readonly health: HealthService,
    private readonly heartbeat: FrameHeartbeat,
  ) {
    // One budget for both subjects: CONCURRENCY counts frames at the worker, whichever way they came.
    this.admission = new Admission(cfg.CONCURRENCY, cfg.MAX_QUEUE);
    this.metrics.queueLimit.set(cfg.MAX_QUEUE);
  }

  async onApplicationBootstrap(): Promise<void> {
    // The bus hands over every frame at once (rather than leaving the surplus unread in the NATS
    // subscription, a queue without bound): Admission decides which wait and which are refused.
    const opts = { concurrency: this.cfg.CONCURRENCY + this.cfg.MAX_QUEUE + SHED_HEADROOM };
    this.bus.handleBinary(
      FrameRecognize.contract,
      (m) => this.take('recognize', m, () => this.recognizer.recognize(m)),
      {
        ...opts,
        queue: FrameRecognize.queue,
      },
    );
    this.bus.handleBinary(FrameEncode.contract, (m) => this.take('encode', m, () => this.recognizer.encode(m)), {
      ...opts,
      queue: FrameEncode.queue,
    });
    this.bus.handle(HealthCheck.contractFor('recognizer'), () => this.health.check());
    this.metrics.watchBus(this.bus);
    await this.metrics.serve(this.cfg.METRICS_PORT);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.metrics.close();
  }

  /** A frame from arrival to answer: listed in the heartbeat (queued or in work, so its requester hears it is alive), run in a slot. */
  private async take<T extends { timings: Record<string, number>; faces: unknown[] }>(
    kind: 'recognize' | 'encode',
    m: { deadline?: number; headers: { 'Glimpse-Frame-Id'?: string } },
    work: () => Promise<T>,
  ): Promise<T> {
    const release = this.heartbeat.hold(m.headers['Glimpse-Frame-Id']);
    try {
      return await this.withSlot(kind, m.deadline, work);
    } finally {
      release();
    }
  }

  private async withSlot<T extends { timings: Record<string, number>; faces: unknown[] }>(
    kind: 'recognize' | 'encode',
    deadline: number | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    const m = this.metrics;
    m.framesIn.inc({ kind });
    const queued = performance.now();
    const admitted = this.admission.acquire(deadline);
    this.gauges();
    try {
      await admitted;
    } catch (err) {
      this.gauges();
      const reason = err instanceof ShedError ? err.reason : 'unknown';
      m.framesShed.inc({ kind, reason });
      m.framesFailed.inc({ kind, code: GlimpseError.from(err).code });
      throw err;
    }
    this.gauges();
    m.stage.observe({ stage: 'queue' }, (performance.now() - queued) / 1000);
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
      this.admission.release();
      this.gauges();
    }
  }

  private gauges(): void {
    this.metrics.queueDepth.set(this.admission.queued);
    this.metrics.queuePeak.set(this.admission.peakQueued);
    this.metrics.inFlight.set(this.admission.running);
  }
}
