// A throwaway PostgreSQL 16 + pgvector server for the bench's Postgres rows, started as the tests start theirs
// (test/support/pg-server.js: pgserver's binaries, an unprivileged user, the application role `glimpse`), with
// fsync left on and more memory: the rows are meant to show what a Postgres server costs the matcher.
import { createRequire } from 'node:module';
import { descendants } from './cpu.mjs';

const require = createRequire(import.meta.url);
const { postgresUnavailable, startPgServer, withClient } = require('../test/support/pg-server.js');

export { postgresUnavailable };

/**
 * Starts the server. `createDatabase(name)` makes another database owned by `glimpse` with pgvector in it and
 * returns the application role's URL for it (the bench keeps one gallery per database).
 */
export async function startPostgres({ freePort }) {
  const server = await startPgServer({
    port: await freePort(),
    settings: ['shared_buffers=256MB', 'maintenance_work_mem=512MB'],
  });
  const version = await withClient(
    server.adminUrl('postgres'),
    async (c) =>
      (
        await c.query(
          `SELECT current_setting('server_version') AS v, (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS pgvector`,
        )
      ).rows[0],
  );
  /** The server's processes now (postmaster and backends), for CPU accounting. */
  const pids = () => [server.pid, ...descendants(server.pid)];
  return {
    createDatabase: server.createDatabase,
    stop: server.stop,
    pids,
    version: `PostgreSQL ${version.v}, pgvector ${version.pgvector}`,
  };
}
