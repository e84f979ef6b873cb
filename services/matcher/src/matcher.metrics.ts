import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Bus, Counter, FAST_BUCKETS, InjectBus, ServiceMetrics } from '@glimpse/platform';
import { MATCHER_CONFIG, type MatcherConfig } from './config';
import { Database } from './database/database';
import { OutboxRepository } from './events/outbox.repository';
import { FaceRepository } from './face.repository';
import { PersonRepository } from './person.repository';

/** How long a scrape waits for the outbox count before it reports the last known value. */
const OUTBOX_COUNT_TIMEOUT_MS = 1000;

/**
 * The matcher's metrics. Match requests and their latency are the bus histogram
 * (`glimpse_matcher_bus_seconds{kind="handle",subject="glimpse.matcher.match"}`); these add the
 * database side.
 */
export class MatcherMetrics extends ServiceMetrics {
  private readonly r = [this.registry];
  private pendingSource?: () => Promise<number>;
  readonly facesStored = new Counter({
    name: 'glimpse_matcher_faces_stored_total',
    help: 'Faces inserted (with encoding and crop)',
    registers: this.r,
  });
  readonly personsCreated = new Counter({
    name: 'glimpse_matcher_persons_created_total',
    help: 'Persons created (recognition, enrollment, face moves)',
    registers: this.r,
  });
  readonly nearest = this.seconds(
    'glimpse_matcher_nearest_seconds',
    'One nearest-face search (HNSW index) per query face',
    [],
    FAST_BUCKETS,
  );
  readonly transaction = this.seconds(
    'glimpse_matcher_db_transaction_seconds',
    'Database transactions (waiting for the connection included), by outcome',
    ['outcome'],
    FAST_BUCKETS,
  );

  constructor(defaults = true) {
    super('matcher', { defaults });
    this.gaugeOf('glimpse_matcher_outbox_pending', 'Events written but not yet acknowledged by JetStream', () =>
      this.countPending(),
    );
  }

  /** Times and counts the repositories' calls from now on; their behaviour is unchanged. */
  instrument(
    db: Pick<Database, 'transaction'>,
    faces: Pick<FaceRepository, 'nearest' | 'insert'>,
    persons: Pick<PersonRepository, 'create'>,
  ): void {
    around(db, 'transaction', (s, ok) => this.transaction.observe({ outcome: ok ? 'commit' : 'rollback' }, s));
    around(faces, 'nearest', (s, ok) => ok && this.nearest.observe(s));
    around(faces, 'insert', (_, ok) => ok && this.facesStored.inc());
    around(persons, 'create', (_, ok) => ok && this.personsCreated.inc());
  }

  countOutboxWith(pending: () => Promise<number>): void {
    this.pendingSource = pending;
  }

  private async countPending(): Promise<number | undefined> {
    if (!this.pendingSource) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), OUTBOX_COUNT_TIMEOUT_MS)));
    try {
      return await Promise.race([this.pendingSource().catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Replaces `obj[key]` by a wrapper that reports each call's duration and success. Wrapping the
 * instances (rather than adding calls to the repositories) keeps the data code free of metrics.
 */
function around<T extends object, K extends keyof T>(
  obj: T,
  key: K,
  report: (seconds: number, ok: boolean) => unknown,
): void {
  const original = obj[key] as unknown as (...args: unknown[]) => Promise<unknown>;
  const wrapped = async function (this: unknown, ...args: unknown[]) {
    const started = performance.now();
    let ok = false;
    try {
      const out = await original.apply(this, args);
      ok = true;
      return out;
    } finally {
      report((performance.now() - started) / 1000, ok);
    }
  };
  obj[key] = wrapped as T[K];
}

/** Wires MatcherMetrics into the app before the handlers subscribe, and serves it. */
@Injectable()
export class MatcherMetricsLifecycle implements OnModuleInit, OnApplicationShutdown {
  readonly metrics = new MatcherMetrics();

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(MATCHER_CONFIG) private readonly cfg: MatcherConfig,
    private readonly db: Database,
    private readonly faces: FaceRepository,
    private readonly persons: PersonRepository,
    private readonly outbox: OutboxRepository,
  ) {}

  async onModuleInit(): Promise<void> {
    this.metrics.instrument(this.db, this.faces, this.persons);
    this.metrics.countOutboxWith(() => this.outbox.pending());
    this.metrics.watchBus(this.bus);
    await this.metrics.serve(this.cfg.METRICS_PORT);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.metrics.close();
  }
}
