import { createServer, type Server } from 'node:http';
import { Logger } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Bus, BusObservation } from './bus';

/** Seconds buckets from 5 ms to 30 s: a face takes ~0.1 s on a CPU core, a busy queue much longer. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30];
/** Database and index work: sub-millisecond to a few seconds. */
export const FAST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Services build their series from these, so prom-client is one dependency of this library. */
export { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type MetricsServer = Server & { port: number };

/**
 * Serves a prom-client registry at GET /metrics on `port` (0 = an ephemeral port, for tests).
 * A separate listener rather than a gateway route, so scrapes need no API key and the
 * headless services (recognizer, matcher, capture) can serve one too.
 */
export async function createMetricsServer(registry: Registry, port: number, host = '0.0.0.0'): Promise<MetricsServer> {
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

/**
 * A service's metrics: one registry whose names all start with `glimpse_<service>_`, the process
 * defaults (memory, CPU, event-loop lag) under the same prefix, and the /metrics listener started
 * by `serve` when a port is configured. Subclasses add the service's own series.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly prefix: string;
  private server?: MetricsServer;
  private busHistogram?: Histogram<'kind' | 'subject' | 'outcome'>;

  constructor(
    readonly service: string,
    opts: { defaults?: boolean } = {},
  ) {
    this.prefix = `glimpse_${service}_`;
    // Event-loop lag sampled every 100 ms, not prom-client's 10: its timer woke every idle service 100 times
    // a second (~3 ms of CPU per second each), and lag worth alerting on lasts far longer than 100 ms.
    if (opts.defaults ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: this.prefix, eventLoopMonitoringPrecision: 100 });
  }

  /** A histogram of durations in seconds in this service's registry, with LATENCY_BUCKETS unless told other buckets. */
  protected seconds<L extends string = string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    buckets: number[] = LATENCY_BUCKETS,
  ): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /** A gauge in this service's registry, set from `read` at each scrape; when `read` gives undefined it keeps its last value. */
  protected gaugeOf(name: string, help: string, read: () => number | undefined | Promise<number | undefined>): Gauge {
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        const n = await read();
        if (n !== undefined) this.set(n);
      },
    });
  }

  /** Times every NATS request this service makes and every message it handles, by subject and outcome. */
  watchBus(bus: Pick<Bus, 'observe'>): void {
    this.busHistogram ??= this.seconds(
      `${this.prefix}bus_seconds`,
      'NATS requests made (kind=request: upstream latency) and messages handled (kind=handle), by subject and outcome (ok or error code)',
      ['kind', 'subject', 'outcome'],
    );
    const h = this.busHistogram;
    bus.observe((o: BusObservation) => h.observe({ kind: o.kind, subject: o.subject, outcome: o.outcome }, o.seconds));
  }

  /** Starts the /metrics listener; port 0 means metrics are off (several instances may share a host). */
  async serve(port: number, host = '0.0.0.0'): Promise<MetricsServer | undefined> {
    if (!port || this.server) return this.server;
    this.server = await createMetricsServer(this.registry, port, host);
    new Logger(`${this.service}.metrics`).log(`Prometheus metrics at http://${host}:${this.server.port}/metrics`);
    return this.server;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
