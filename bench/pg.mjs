// A throwaway PostgreSQL 16 + pgvector server for the bench's Postgres rows: pgserver's binaries from
// test/pg/.venv (infra/scripts/pg-setup.sh), initdb as an unprivileged user (postgres refuses root), and the
// roles of docker-compose's init script, as test/support/postgres.ts does for the tests: the superuser
// creates pgvector, the matcher connects as `glimpse`, a non-superuser owning its database.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { descendants } from './cpu.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'services/matcher/package.json'));
const PG_USER = process.env.GLIMPSE_PG_USER ?? 'glimpsepg';
const BIN_FILE = join(ROOT, 'test/pg/.venv/pg-bin');
const READY_MS = 30_000;

function runAs() {
  if (process.getuid() !== 0) return { uid: process.getuid(), gid: process.getgid() };
  const id = (flag) => spawnSync('id', [flag, PG_USER], { encoding: 'utf8' });
  if (id('-u').status !== 0)
    spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_USER]);
  if (id('-u').status !== 0) return null;
  return { uid: Number(id('-u').stdout), gid: Number(id('-g').stdout) };
}

const runs = (bin, who) => spawnSync(join(bin, 'postgres'), ['--version'], { ...who, timeout: 10_000 }).status === 0;

/** The install, or a world-readable copy in the temp dir when its path is closed to `who` (a clone under /root). */
function runnableBin(bin, who) {
  if (runs(bin, who)) return bin;
  const install = dirname(bin);
  const copy = join(tmpdir(), `glimpse-pgserver-${createHash('sha256').update(install).digest('hex').slice(0, 12)}`);
  const copied = join(copy, 'pgserver', 'pginstall', 'bin');
  if (!runs(copied, who)) {
    const part = `${copy}.${process.pid}`;
    cpSync(install, join(part, 'pgserver', 'pginstall'), { recursive: true });
    const libs = join(dirname(dirname(install)), 'pgserver.libs');
    if (existsSync(libs)) cpSync(libs, join(part, 'pgserver.libs'), { recursive: true });
    spawnSync('chmod', ['-R', 'a+rX', part]);
    rmSync(copy, { recursive: true, force: true });
    try {
      renameSync(part, copy);
    } catch {
      rmSync(part, { recursive: true, force: true });
    }
  }
  return runs(copied, who) ? copied : null;
}

/** Why no Postgres server can start here, or null. */
export function postgresUnavailable() {
  const bin = process.env.GLIMPSE_PG_BIN ?? (existsSync(BIN_FILE) ? readFileSync(BIN_FILE, 'utf8').trim() : null);
  if (!bin || !existsSync(join(bin, 'postgres')))
    return `no PostgreSQL binaries (${BIN_FILE} missing): run bash infra/scripts/pg-setup.sh`;
  const who = runAs();
  if (!who) return `cannot create the unprivileged user ${PG_USER}`;
  const usable = runnableBin(bin, who);
  return usable ? null : `${join(bin, 'postgres')} does not run as uid ${who.uid}`;
}

async function withClient(url, fn) {
  const { Client } = require('pg');
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000, query_timeout: 600_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Starts the server. `createDatabase(name)` makes another database owned by `glimpse` with pgvector in it and
 * returns the application role's URL for it (the bench keeps one gallery per database).
 */
export async function startPostgres({ freePort }) {
  const why = postgresUnavailable();
  if (why) throw new Error(`Postgres unavailable: ${why}`);
  const who = runAs();
  const bin = runnableBin(process.env.GLIMPSE_PG_BIN ?? readFileSync(BIN_FILE, 'utf8').trim(), who);
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-bench-pg-'));
  chownSync(dir, who.uid, who.gid);
  const superPw = randomBytes(12).toString('hex');
  const appPw = randomBytes(12).toString('hex');
  writeFileSync(join(dir, 'pw'), superPw, { mode: 0o600 });
  chownSync(join(dir, 'pw'), who.uid, who.gid);
  const init = spawnSync(
    join(bin, 'initdb'),
    [
      '-D',
      join(dir, 'data'),
      '-U',
      'postgres',
      `--pwfile=${join(dir, 'pw')}`,
      '-A',
      'scram-sha-256',
      '-E',
      'UTF8',
      '--no-sync',
    ],
    { ...who, encoding: 'utf8', timeout: READY_MS },
  );
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  // fsync stays on (the default): the rows are meant to show what a Postgres server costs the matcher
  const child = spawn(
    join(bin, 'postgres'),
    [
      '-D',
      join(dir, 'data'),
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'shared_buffers=256MB',
      '-c',
      'maintenance_work_mem=512MB',
    ],
    { ...who, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (c) => (log = (log + c).slice(-4000)));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const admin = (db) => `postgres://postgres:${superPw}@127.0.0.1:${port}/${db}`;
  const stop = async () => {
    process.removeListener('exit', kill);
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const until = Date.now() + READY_MS; ;) {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${log}`);
      try {
        await withClient(admin('postgres'), (c) => c.query('SELECT 1'));
        break;
      } catch (err) {
        if (Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await withClient(admin('postgres'), (c) =>
      c.query(`CREATE ROLE glimpse LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '${appPw}'`),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const version = await withClient(
    admin('postgres'),
    async (c) =>
      (
        await c.query(
          `SELECT current_setting('server_version') AS v, (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS pgvector`,
        )
      ).rows[0],
  );
  const createDatabase = async (name) => {
    await withClient(admin('postgres'), (c) => c.query(`CREATE DATABASE ${name}`));
    await withClient(admin(name), async (c) => {
      await c.query('CREATE EXTENSION IF NOT EXISTS vector');
      await c.query(`ALTER DATABASE ${name} OWNER TO glimpse`);
      await c.query('ALTER SCHEMA public OWNER TO glimpse');
    });
    return `postgres://glimpse:${appPw}@127.0.0.1:${port}/${name}`;
  };
  /** The server's processes now (postmaster and backends), for CPU accounting. */
  const pids = () => [child.pid, ...descendants(child.pid)];
  return { createDatabase, stop, pids, version: `PostgreSQL ${version.v}, pgvector ${version.pgvector}` };
}
