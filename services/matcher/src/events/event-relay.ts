import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { MATCHER_CONFIG, type MatcherConfig } from '../config';
import { INSTANCE_ID } from '../tokens';
import { EventStream } from './event-stream';
import { OutboxRepository, type OutboxRow } from './outbox.repository';

const BATCH = 200;
/** Attempts per event within one pass, with these pauses between them. */
const RETRY_DELAYS_MS = [100, 400, 1600];
const MAX_BACKOFF_MS = 30_000;

export interface RelayHealth {
  ok: boolean;
  detail: string;
}

/**
 * Moves events from the outbox to JetStream in order, each with its event id as the de-duplication id,
 * and deletes them from the outbox only once JetStream acknowledged them: an event is never lost, and a
 * retry after a crash or a lost acknowledgement is stored once. Woken after each commit that wrote events,
 * and every EVENTS_RELAY_INTERVAL_MS for the rest (other instances' events, retries after a failure).
 */
@Injectable()
export class EventRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Events');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private ensured = false;
  private failures = 0;
  private retryAt = 0;
  private lastError: string | null = null;
  private published = 0;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly stream: EventStream,
    @Inject(MATCHER_CONFIG) private readonly config: Pick<MatcherConfig, 'EVENTS_RELAY_INTERVAL_MS'>,
    @Inject(INSTANCE_ID) private readonly instance: string,
  ) {}

  /** Replaceable in unit tests. */
  protected sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.config.EVENTS_RELAY_INTERVAL_MS);
    this.timer.unref();
    this.kick();
  }

  /** Stops relaying; events still in the outbox go out on the next start. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.outbox.releaseLease(this.instance).catch(() => undefined);
  }

  /** Relays now (or right after the pass in progress). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  /** Resolves when the outbox is empty (tests, shutdown), or rejects after `timeoutMs`. */
  async drain(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      await this.running;
      if ((await this.outbox.pending()) === 0) return;
      if (Date.now() > until)
        throw new Error(`events still waiting after ${timeoutMs} ms: ${this.lastError ?? 'no error'}`);
      this.retryAt = 0;
      this.kick();
      await this.sleep(20);
    }
  }

  health(): RelayHealth {
    if (this.lastError) return { ok: false, detail: `${this.lastError} (retrying)` };
    return { ok: true, detail: `${this.published} events published` };
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      if (Date.now() < this.retryAt) return;
      try {
        await this.pass();
        this.failures = 0;
        this.lastError = null;
      } catch (err) {
        this.failures++;
        this.lastError = err instanceof Error ? err.message : String(err);
        const backoff = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (this.failures - 1));
        this.retryAt = Date.now() + backoff;
        this.log.warn(
          `publishing events failed (${this.lastError}); retrying in ${backoff} ms, they stay in the outbox`,
        );
        return;
      }
    } while (this.again && !this.stopped);
  }

  /** Relays until the outbox is empty. Throws when an event cannot be published after its retries. */
  private async pass(): Promise<void> {
    // Idle, a pass is one read: the lease is a write (to disk, with embedded PGlite), taken only for work.
    if (this.ensured && (await this.outbox.pending()) === 0) return;
    if (!(await this.outbox.lease(this.instance, Math.max(30_000, 10 * this.config.EVENTS_RELAY_INTERVAL_MS)))) return;
    // At start-up too, so subscribers can attach to the stream before the first event.
    if (!this.ensured) {
      await this.stream.ensure();
      this.ensured = true;
    }
    for (;;) {
      const rows = await this.outbox.next(BATCH);
      if (rows.length === 0) return;
      const done: bigint[] = [];
      try {
        for (const row of rows) {
          if (this.stopped) return;
          await this.withRetries(row);
          done.push(row.seq);
        }
      } finally {
        await this.outbox.remove(done);
      }
    }
  }

  private async withRetries(row: OutboxRow): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (row.kind === 'erase') {
          const n = await this.stream.erase(row.personIds);
          this.log.log(`erased ${n} events of ${row.personIds.join(', ')}`);
        } else {
          await this.stream.publish(row.subject, row.payload, row.eventId);
          this.published++;
        }
        return;
      } catch (err) {
        // The stream may have been deleted under us: create it again on the next try.
        this.ensured = false;
        if (attempt >= RETRY_DELAYS_MS.length) throw err;
        this.log.warn(
          `event ${row.eventId}: ${err instanceof Error ? err.message : String(err)}; retry ${attempt + 1}`,
        );
        await this.sleep(RETRY_DELAYS_MS[attempt]);
        if (!this.ensured)
          await this.stream.ensure().then(
            () => (this.ensured = true),
            () => undefined,
          );
      }
    }
  }
}
