import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Serves a prom-client registry at GET /metrics on `port` (0 = an ephemeral port, for tests).
 * Reusable by every service: the lead can lift it into libs/platform unchanged.
 */
export async function createMetricsServer(registry: Registry, port: number, host = '0.0.0.0'): Promise<Server & { port: number }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  server.unref();
  const address = server.address();
  return Object.assign(server, { port: typeof address === 'object' && address ? address.port : port });
}

/** Seconds buckets from 10 ms to 30 s: a face takes ~0.1 s on a CPU core, a busy queue much longer. */
const BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30];

/** What an operator needs to see where a recognizer's time goes. */
export class RecognizerMetrics {
  readonly registry = new Registry();
  readonly framesIn = new Counter({ name: 'glimpse_recognizer_frames_in_total', help: 'Frames received', labelNames: ['kind'], registers: [this.registry] });
  readonly framesProcessed = new Counter({ name: 'glimpse_recognizer_frames_processed_total', help: 'Frames answered', labelNames: ['kind'], registers: [this.registry] });
  readonly framesFailed = new Counter({ name: 'glimpse_recognizer_frames_failed_total', help: 'Frames that failed', labelNames: ['kind', 'code'], registers: [this.registry] });
  readonly faces = new Counter({ name: 'glimpse_recognizer_faces_total', help: 'Faces found', registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'glimpse_recognizer_queue_depth', help: 'Frames waiting for a worker slot', registers: [this.registry] });
  readonly inFlight = new Gauge({ name: 'glimpse_recognizer_in_flight', help: 'Frames at the worker or matcher', registers: [this.registry] });
  readonly stage = new Histogram({
    name: 'glimpse_recognizer_stage_seconds',
    help: 'Time per frame by stage: queue (waiting for a slot), worker (HTTP call), decode/detect/encode (inside the worker), match, total',
    labelNames: ['stage'],
    buckets: BUCKETS,
    registers: [this.registry],
  });

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'glimpse_recognizer_' });
  }

  /** Records a reply's timings (milliseconds, as the contracts carry them). */
  observeTimings(timings: Record<string, number>): void {
    const stages: Record<string, string> = { queueMs: 'worker_queue', decodeMs: 'decode', detectMs: 'detect', encodeMs: 'encode', workerMs: 'worker', matchMs: 'match', totalMs: 'total' };
    for (const [key, stage] of Object.entries(stages)) if (timings[key] !== undefined) this.stage.observe({ stage }, timings[key] / 1000);
  }
}
