import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Bus, Counter, InjectBus, ServiceMetrics } from '@glimpse/platform';
import { CAPTURE_CONFIG, type CaptureConfig } from './config';
import type { FrameObserver } from './stream.manager';

/** What CaptureMetrics reads on each scrape. */
export interface FrameCounterSource {
  frameTotals(): Record<string, number>;
  readonly activeCount: number;
  observer?: FrameObserver;
}

/** `framesSkipped` → `skipped`: the stream counters' names as metric labels. */
const outcomeOf = (key: string) => key.replace(/^frames/, '').toLowerCase();

/**
 * Capture's metrics. Frame counts are read from the streams' own counters at scrape time (the
 * numbers GET /api/v1/streams shows), so the stream code needs no metric calls of its own.
 */
export class CaptureMetrics extends ServiceMetrics implements FrameObserver {
  private source?: FrameCounterSource;
  private readonly r = [this.registry];
  readonly sentTotal = new Counter({
    name: 'glimpse_capture_frames_sent_total',
    help: 'Frames sent to the recognizer',
    registers: this.r,
  });
  readonly roundTrip = this.seconds(
    'glimpse_capture_recognize_seconds',
    'Round trip of one frame to the recognizer and back (retries included), by outcome',
    ['outcome'],
  );

  constructor(defaults = true) {
    super('capture', { defaults });
    const metrics = this;
    new Counter({
      name: 'glimpse_capture_frames_total',
      help: 'Frames per outcome over every stream of this instance: captured, skipped (shed: the previous one was still in flight), processed, failed, and retried where counted',
      labelNames: ['outcome'],
      registers: this.r,
      collect() {
        this.reset();
        for (const [key, n] of Object.entries(metrics.source?.frameTotals() ?? {}))
          this.inc({ outcome: outcomeOf(key) }, n);
      },
    });
    this.gaugeOf(
      'glimpse_capture_streams_active',
      'Streams starting or running on this instance',
      () => this.source?.activeCount ?? 0,
    );
  }

  /** Reads `source`'s counters from now on and hears of its frames. */
  attach(source: FrameCounterSource): void {
    this.source = source;
    source.observer = this;
  }

  sent(): void {
    this.sentTotal.inc();
  }

  done(seconds: number, processed: boolean): void {
    this.roundTrip.observe({ outcome: processed ? 'processed' : 'failed' }, seconds);
  }
}

/** Wires CaptureMetrics into the app: counters from StreamManager, bus timings, the listener. */
@Injectable()
export class CaptureMetricsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    readonly metrics: CaptureMetrics,
    @InjectBus() private readonly bus: Bus,
    @Inject(CAPTURE_CONFIG) private readonly cfg: CaptureConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.metrics.watchBus(this.bus);
    await this.metrics.serve(this.cfg.METRICS_PORT);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.metrics.close();
  }
}
