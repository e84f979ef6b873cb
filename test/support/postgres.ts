/**
 * A throwaway PostgreSQL 16 + pgvector server for one test file (./pg-server.js starts it, on a free loopback
 * port) with the same database and roles as docker-compose's init script: the superuser creates pgvector, and
 * the matcher connects as `glimpse`, a non-superuser owning its database; and one `describe` per backend.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '@glimpse/testing';
import { postgresUnavailable, startPgServer, withClient, type PgServer } from './pg-server';

export { postgresUnavailable, withClient };

export type Backend = 'pglite' | 'postgres';

export interface TestPostgres {
  /** The application role's URL (what DATABASE_URL gets). */
  url: string;
  /** The superuser's URL, for checks the application role may not run. */
  adminUrl: string;
  /** `127.0.0.1:<port>/glimpse`, as /healthz names it. */
  where: string;
  /** The cluster's data directory (table files under base/, the write-ahead log under pg_wal/). */
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * One `describe` per backend. The Postgres one is skipped, with a loud warning, only when the server cannot
 * be started here at all (no binaries, no unprivileged user); GLIMPSE_PG_REQUIRED=1 makes that a failure.
 */
export function describeEachBackend(title: string, fn: (backend: Backend) => void): void {
  for (const backend of ['pglite', 'postgres'] as const) {
    const why = backend === 'postgres' ? postgresUnavailable() : null;
    if (why && process.env.GLIMPSE_PG_REQUIRED === '1')
      throw new Error(`Postgres backend required but unavailable: ${why}`);
    if (why) console.warn(`\n*** SKIPPING the Postgres run of "${title}": ${why} ***\n`);
    (why ? describe.skip : describe)(`${title} [${backend}]`, () => fn(backend));
  }
}

/** describeEachBackend's stand-in when a suite cannot run (no fixtures): one skipped block that jest still lists. */
export function skipEachBackend(title: string, fn: (backend: 'pglite') => void): void {
  describe.skip(title, () => fn('pglite'));
}

export async function startPostgres(): Promise<TestPostgres> {
  // fsync off: a test server's data is thrown away, and the 2-core CI machine has slow disks.
  const server = await startPgServer({ port: await freePort(), settings: ['fsync=off'] });
  try {
    await createAppDatabase(server);
  } catch (err) {
    const log = server.log();
    await server.stop();
    throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
  }
  return {
    url: server.appUrl('glimpse'),
    adminUrl: server.adminUrl('glimpse'),
    where: `127.0.0.1:${server.port}/glimpse`,
    dataDir: server.dataDir,
    stop: server.stop,
  };
}

/**
 * The roles of infra/postgres/init: pgvector by the superuser, the rest owned by `glimpse`, except the audit
 * trail (glimpse_audit, 20-audit-owner.sql).
 */
async function createAppDatabase(server: PgServer): Promise<void> {
  await server.createDatabase('glimpse');
  await withClient(server.adminUrl('glimpse'), async (c) => {
    await c.query('REVOKE ALL ON DATABASE glimpse FROM PUBLIC');
    await c.query('GRANT CONNECT, TEMPORARY ON DATABASE glimpse TO glimpse');
    // the audit trail's owner role (20-audit-owner.sql): the application may only append to it
    await c.query(readFileSync(AUDIT_OWNER_SQL, 'utf8'));
  });
}

const AUDIT_OWNER_SQL = resolve(__dirname, '..', '..', 'infra', 'postgres', 'init', '20-audit-owner.sql');

/** Whether any file under `dir` contains `needle` (binary-safe). */
export function grepFiles(dir: string, needle: Buffer): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    let data: Buffer;
    try {
      data = readFileSync(join(entry.parentPath, entry.name));
    } catch {
      continue; // removed while we looked (a retired log segment)
    }
    if (data.includes(needle)) return true;
  }
  return false;
}
