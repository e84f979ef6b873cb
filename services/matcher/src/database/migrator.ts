import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import type { Database } from './database';
import { LOCKS } from './locks';

/** services/matcher/prisma/migrations, from both src/database (ts-jest) and dist/database (node). */
export const MIGRATIONS_DIR = join(__dirname, '..', '..', 'prisma', 'migrations');

const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS _glimpse_migrations (
  name       text PRIMARY KEY,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^\d{4}_[\w-]+$/.test(d.name))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Applies pending migrations in name order, each in its own transaction together with its ledger row,
 * so a failed one leaves nothing behind. The advisory lock keeps concurrent instances from racing.
 * Returns the names applied now.
 */
export async function migrate(
  db: Database,
  log: Pick<LoggerService, 'log' | 'warn'>,
  dir = MIGRATIONS_DIR,
): Promise<string[]> {
  const applied: string[] = [];
  for (const m of readMigrations(dir)) {
    const done = await db.scriptTransaction(async (s) => {
      await s.query('SELECT pg_advisory_xact_lock($1::bigint)', [LOCKS.MIGRATION]);
      await s.exec(CREATE_LEDGER);
      const [row] = await s.query<{ checksum: string }>('SELECT checksum FROM _glimpse_migrations WHERE name = $1', [
        m.name,
      ]);
      if (row) {
        if (row.checksum !== m.checksum)
          log.warn(`migration ${m.name} changed after it was applied; not re-running it`);
        return false;
      }
      await s.exec(m.sql);
      await s.query('INSERT INTO _glimpse_migrations (name, checksum) VALUES ($1, $2)', [m.name, m.checksum]);
      return true;
    });
    if (done) {
      applied.push(m.name);
      log.log(`applied migration ${m.name}`);
    }
  }
  return applied;
}
