import { Counter, Gauge, ServiceMetrics } from '@glimpse/platform';

/** What an operator needs to see where a recognizer's time goes, and whether it is shedding load. */
export class RecognizerMetrics extends ServiceMetrics {
  private readonly r = [this.registry];
  readonly framesIn = new Counter({
    name: 'glimpse_recognizer_frames_in_total',
    help: 'Frames received',
    labelNames: ['kind'],
    registers: this.r,
  });
  readonly framesProcessed = new Counter({
    name: 'glimpse_recognizer_frames_processed_total',
    help: 'Frames answered',
    labelNames: ['kind'],
    registers: this.r,
  });
  readonly framesFailed = new Counter({
    name: 'glimpse_recognizer_frames_failed_total',
    help: 'Frames that failed (shed ones included)',
    labelNames: ['kind', 'code'],
    registers: this.r,
  });
  readonly framesShed = new Counter({
    name: 'glimpse_recognizer_frames_shed_total',
    help: 'Frames refused without work: reason=queue_full (MAX_QUEUE reached) or expired (the requester stopped waiting)',
    labelNames: ['kind', 'reason'],
    registers: this.r,
  });
  readonly faces = new Counter({ name: 'glimpse_recognizer_faces_total', help: 'Faces found', registers: this.r });
  readonly queueDepth = new Gauge({
    name: 'glimpse_recognizer_queue_depth',
    help: 'Frames waiting for a worker slot',
    registers: this.r,
  });
  readonly queuePeak = new Gauge({
    name: 'glimpse_recognizer_queue_depth_max',
    help: 'Most frames ever waiting at once since start',
    registers: this.r,
  });
  readonly queueLimit = new Gauge({
    name: 'glimpse_recognizer_queue_limit',
    help: 'MAX_QUEUE: frames allowed to wait',
    registers: this.r,
  });
  readonly inFlight = new Gauge({
    name: 'glimpse_recognizer_in_flight',
    help: 'Frames at the worker or matcher',
    registers: this.r,
  });
  readonly stage = this.seconds(
    'glimpse_recognizer_stage_seconds',
    'Time per frame by stage: queue (waiting for a slot), worker_queue (inside the worker), worker (HTTP call), decode/detect/encode (inside the worker), match, total',
    ['stage'],
  );

  constructor(defaults = false) {
    super('recognizer', { defaults });
  }

  /** Records a reply's timings (milliseconds, as the contracts carry them). */
  observeTimings(timings: Record<string, number>): void {
    const stages: Record<string, string> = {
      queueMs: 'worker_queue',
      decodeMs: 'decode',
      detectMs: 'detect',
      encodeMs: 'encode',
      workerMs: 'worker',
      matchMs: 'match',
      totalMs: 'total',
    };
    for (const [key, stage] of Object.entries(stages))
      if (timings[key] !== undefined) this.stage.observe({ stage }, timings[key] / 1000);
  }
}
