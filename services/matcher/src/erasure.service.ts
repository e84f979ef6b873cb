import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { MATCHER_CONFIG, type MatcherConfig } from './config';
import { Database } from './database/database';

/** Tables that held a deleted person's data: encodings and crops, sightings, names, event payloads, cannot-links. */
const TABLES = ['faces', 'sightings', 'persons', 'person_aliases', 'event_outbox', 'cannot_links'];

/**
 * Deleting rows only hides them: Postgres keeps dead row versions in the table files until their space is
 * reused, and the write-ahead log holds what was written. After a person is erased this rewrites those
 * tables (VACUUM FULL: new files holding live rows only) and retires the log (switch segment, checkpoint;
 * PGlite runs with wal_recycle=off, so old segments are deleted, not renamed), so their face data leaves
 * the disk too. Deletions within ERASURE_COMPACT_DELAY_MS share one compaction, since VACUUM FULL locks
 * the faces table (and rebuilds its HNSW index) for as long as it takes.
 */
@Injectable()
export class ErasureService implements OnModuleDestroy {
  private readonly log = new Logger('Erasure');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private walWarned = false;

  constructor(
    private readonly db: Database,
    @Inject(MATCHER_CONFIG)
    private readonly config: Pick<MatcherConfig, 'ERASURE_COMPACT' | 'ERASURE_COMPACT_DELAY_MS'>,
  ) {}

  /** Called after a deletion committed. */
  schedule(): void {
    if (!this.config.ERASURE_COMPACT || this.timer) return;
    this.timer = setTimeout(() => void this.compact(), this.config.ERASURE_COMPACT_DELAY_MS);
    this.timer.unref();
  }

  /** Resolves once no compaction is scheduled or running. */
  async idle(): Promise<void> {
    while (this.timer || this.running) {
      if (this.timer) await this.compact();
      else await this.running;
    }
  }

  /** A scheduled compaction still runs before the database closes. */
  async onModuleDestroy(): Promise<void> {
    await this.idle();
  }

  compact(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<void> {
    const started = Date.now();
    try {
      await this.db.maintenance(`VACUUM (FULL) ${TABLES.join(', ')}`);
    } catch (err) {
      this.log.error(`compaction after erasure failed: ${String(err)}`);
      return;
    }
    try {
      await this.db.maintenance('SELECT pg_switch_wal()');
      await this.db.maintenance('CHECKPOINT');
    } catch (err) {
      // A managed Postgres may not let this role switch the log; its WAL retention is the operator's.
      if (!this.walWarned) this.log.warn(`cannot retire the write-ahead log after erasure (${String(err)})`);
      this.walWarned = true;
    }
    this.log.log(`compacted ${TABLES.join(', ')} after erasure in ${Date.now() - started} ms`);
  }
}
