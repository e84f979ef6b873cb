import type { LoggerService } from '@nestjs/common';
import type { MatcherConfig } from '../config';
import type { Database } from './database';
import { migrate } from './migrator';
import { PgliteDatabase } from './pglite.database';
import { PostgresDatabase } from './postgres.database';

/** DATABASE_URL selects a real Postgres; otherwise the embedded PGlite in DATA_DIR. Migrated before use. */
export async function openDatabase(
  config: Pick<MatcherConfig, 'DATABASE_URL' | 'DATA_DIR'>,
  log: Pick<LoggerService, 'log' | 'warn' | 'error'>,
): Promise<Database> {
  const db = config.DATABASE_URL
    ? await PostgresDatabase.open(config.DATABASE_URL, (err) =>
        log.error(`idle Postgres client failed: ${err.message}`),
      )
    : await PgliteDatabase.open(config.DATA_DIR);
  try {
    await migrate(db, log);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}
