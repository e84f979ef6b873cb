/**
 * A throwaway PostgreSQL 16 + pgvector server for one test file: pgserver's binaries (installed by
 * infra/scripts/pg-setup.sh into test/pg/.venv), initdb into a temp dir as an unprivileged user (initdb and
 * postgres refuse root), a free loopback port, and the same roles as docker-compose's init script: the
 * superuser creates pgvector, and the matcher connects as `glimpse`, a non-superuser owning its database.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chownSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { freePort } from '@glimpse/testing';

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

const PG_USER = process.env.GLIMPSE_PG_USER ?? 'glimpsepg';
const BIN_FILE = resolve(__dirname, '..', 'pg', '.venv', 'pg-bin');
const READY_TIMEOUT_MS = 30_000;

function pgBin(): string | null {
  if (process.env.GLIMPSE_PG_BIN) return process.env.GLIMPSE_PG_BIN;
  return existsSync(BIN_FILE) ? readFileSync(BIN_FILE, 'utf8').trim() : null;
}

/** uid/gid to run postgres as: ourselves, or (as root) the unprivileged user, created if missing. */
function runAs(): RunAs | string {
  if (process.getuid?.() !== 0) return { uid: process.getuid!(), gid: process.getgid!() };
  const id = (flag: string) => spawnSync('id', [flag, PG_USER], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    const add = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_USER], {
      encoding: 'utf8',
    });
    if (add.status !== 0 && id('-u').status !== 0)
      return `cannot create the unprivileged user ${PG_USER}: ${add.stderr || add.error}`;
  }
  return { uid: Number(id('-u').stdout), gid: Number(id('-g').stdout) };
}

type RunAs = { uid: number; gid: number };
const runs = (bin: string, who: RunAs) =>
  spawnSync(join(bin, 'postgres'), ['--version'], { ...who, timeout: 10_000 }).status === 0;

/**
 * pgserver's bin directory as `who` can run it: the install itself, or, when its path is closed to that user
 * (a clone under /root), a world-readable copy in the temp dir, made once. The copy keeps the wheel's layout
 * (`pgserver/pginstall` beside `pgserver.libs`), which the binaries' RPATH expects.
 */
function runnableBin(bin: string, who: RunAs): string | null {
  if (runs(bin, who)) return bin;
  const install = dirname(bin); // .../site-packages/pgserver/pginstall
  const sitePackages = dirname(dirname(install));
  const copy = join(tmpdir(), `glimpse-pgserver-${createHash('sha256').update(install).digest('hex').slice(0, 12)}`);
  const copiedBin = join(copy, 'pgserver', 'pginstall', 'bin');
  if (!runs(copiedBin, who)) {
    // Copied aside and renamed into place, so parallel test files never see half a copy.
    const part = `${copy}.${process.pid}`;
    cpSync(install, join(part, 'pgserver', 'pginstall'), { recursive: true });
    const libs = join(sitePackages, 'pgserver.libs');
    if (existsSync(libs)) cpSync(libs, join(part, 'pgserver.libs'), { recursive: true });
    spawnSync('chmod', ['-R', 'a+rX', part]);
    rmSync(copy, { recursive: true, force: true });
    try {
      renameSync(part, copy);
    } catch {
      rmSync(part, { recursive: true, force: true }); // another worker won the race
    }
  }
  return runs(copiedBin, who) ? copiedBin : null;
}

/** The binaries and the user to run them as, or why the Postgres backend cannot run here. */
function prerequisites(): { bin: string; who: RunAs } | string {
  const bin = pgBin();
  if (!bin || !existsSync(join(bin, 'postgres')))
    return `no PostgreSQL binaries (${BIN_FILE} missing): run infra/scripts/pg-setup.sh`;
  const who = runAs();
  if (typeof who === 'string') return who;
  const usable = runnableBin(bin, who);
  return usable ? { bin: usable, who } : `${join(bin, 'postgres')} does not run as uid ${who.uid}`;
}

/** Why the Postgres backend cannot run here, or null when it can. Synchronous, so `describe` can be chosen. */
export function postgresUnavailable(): string | null {
  const p = prerequisites();
  return typeof p === 'string' ? p : null;
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
  const pre = prerequisites();
  if (typeof pre === 'string') throw new Error(`Postgres unavailable: ${pre}`);
  const { bin, who } = pre;
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-pg-'));
  chownSync(dir, who.uid, who.gid);
  const superPw = randomBytes(12).toString('hex');
  const appPw = randomBytes(12).toString('hex');
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, superPw, { mode: 0o600 });
  chownSync(pwFile, who.uid, who.gid);
  const initdb = spawnSync(
    join(bin, 'initdb'),
    ['-D', join(dir, 'data'), '-U', 'postgres', `--pwfile=${pwFile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--no-sync'],
    {
      ...who,
      encoding: 'utf8',
      timeout: READY_TIMEOUT_MS,
    },
  );
  if (initdb.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${initdb.status ?? initdb.error}): ${initdb.stderr}`);
  }
  const port = await freePort();
  // fsync off: a test server's data is thrown away, and the 2-core CI machine has slow disks.
  const args = [
    '-D',
    join(dir, 'data'),
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
  ];
  const child = spawn(join(bin, 'postgres'), args, { ...who, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const adminUrl = (db: string) => `postgres://postgres:${superPw}@127.0.0.1:${port}/${db}`;
  try {
    await waitReady(adminUrl('postgres'), child);
    await createAppDatabase(adminUrl, appPw);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
  }
  return {
    url: `postgres://glimpse:${appPw}@127.0.0.1:${port}/glimpse`,
    adminUrl: adminUrl('glimpse'),
    where: `127.0.0.1:${port}/glimpse`,
    dataDir: join(dir, 'data'),
    stop,
  };
}

/**
 * The roles of infra/postgres/init: pgvector by the superuser, the rest owned by `glimpse`, except the audit
 * trail (glimpse_audit, 20-audit-owner.sql).
 */
async function createAppDatabase(adminUrl: (db: string) => string, appPw: string): Promise<void> {
  await withClient(adminUrl('postgres'), async (c) => {
    await c.query(`CREATE ROLE glimpse LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '${appPw}'`);
    await c.query('CREATE DATABASE glimpse');
  });
  await withClient(adminUrl('glimpse'), async (c) => {
    await c.query('CREATE EXTENSION IF NOT EXISTS vector');
    await c.query('ALTER DATABASE glimpse OWNER TO glimpse');
    await c.query('ALTER SCHEMA public OWNER TO glimpse');
    await c.query('REVOKE ALL ON DATABASE glimpse FROM PUBLIC');
    await c.query('GRANT CONNECT, TEMPORARY ON DATABASE glimpse TO glimpse');
    // the audit trail's owner role (20-audit-owner.sql): the application may only append to it
    await c.query(readFileSync(AUDIT_OWNER_SQL, 'utf8'));
  });
}

const AUDIT_OWNER_SQL = resolve(__dirname, '..', '..', 'infra', 'postgres', 'init', '20-audit-owner.sql');

export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const until = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}`);
    try {
      return await withClient(url, async (c) => void (await c.query('SELECT 1')));
    } catch (err) {
      if (Date.now() > until)
        throw new Error(`postgres not ready within ${READY_TIMEOUT_MS} ms: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => (clearTimeout(kill), resolve()));
    child.kill('SIGINT'); // "fast" shutdown: aborts sessions instead of waiting for them
  });
}

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
