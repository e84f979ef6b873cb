// A throwaway PostgreSQL 16 + pgvector server: pgserver's binaries (infra/scripts/pg-setup.sh installs them
// into test/pg/.venv), initdb into a temp dir as an unprivileged user (initdb and postgres refuse root), and
// the application role `glimpse` of docker-compose's init script. The tests (test/support/postgres.ts) and
// the bench's Postgres rows (bench/pg.mjs) both start it here. Plain CommonJS (typed by pg-server.d.ts) so
// that the .mjs bench can load it.
const { spawn, spawnSync } = require('node:child_process');
const { createHash, randomBytes } = require('node:crypto');
const {
  chownSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join, resolve } = require('node:path');
const { Client } = require('pg');

const PG_USER = process.env.GLIMPSE_PG_USER ?? 'glimpsepg';
const BIN_FILE = resolve(__dirname, '..', 'pg', '.venv', 'pg-bin');
const READY_TIMEOUT_MS = 30_000;

function pgBin() {
  if (process.env.GLIMPSE_PG_BIN) return process.env.GLIMPSE_PG_BIN;
  return existsSync(BIN_FILE) ? readFileSync(BIN_FILE, 'utf8').trim() : null;
}

/** uid/gid to run postgres as: ourselves, or (as root) the unprivileged user, created if missing; or why not. */
function runAs() {
  if (process.getuid() !== 0) return { uid: process.getuid(), gid: process.getgid() };
  const id = (flag) => spawnSync('id', [flag, PG_USER], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    const add = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_USER], {
      encoding: 'utf8',
    });
    if (add.status !== 0 && id('-u').status !== 0)
      return `cannot create the unprivileged user ${PG_USER}: ${add.stderr || add.error}`;
  }
  return { uid: Number(id('-u').stdout), gid: Number(id('-g').stdout) };
}

const runs = (bin, who) => spawnSync(join(bin, 'postgres'), ['--version'], { ...who, timeout: 10_000 }).status === 0;

/**
 * pgserver's bin directory as `who` can run it: the install itself, or, when its path is closed to that user
 * (a clone under /root), a world-readable copy in the temp dir, made once. The copy keeps the wheel's layout
 * (`pgserver/pginstall` beside `pgserver.libs`), which the binaries' RPATH expects.
 */
function runnableBin(bin, who) {
  if (runs(bin, who)) return bin;
  const install = dirname(bin); // .../site-packages/pgserver/pginstall
  const copy = join(tmpdir(), `glimpse-pgserver-${createHash('sha256').update(install).digest('hex').slice(0, 12)}`);
  const copiedBin = join(copy, 'pgserver', 'pginstall', 'bin');
  if (!runs(copiedBin, who)) {
    // Copied aside and renamed into place, so parallel test files never see half a copy.
    const part = `${copy}.${process.pid}`;
    cpSync(install, join(part, 'pgserver', 'pginstall'), { recursive: true });
    const libs = join(dirname(dirname(install)), 'pgserver.libs');
    if (existsSync(libs)) cpSync(libs, join(part, 'pgserver.libs'), { recursive: true });
    spawnSync('chmod', ['-R', 'a+rX', part]);
    rmSync(copy, { recursive: true, force: true });
    try {
      renameSync(part, copy);
    } catch {
      rmSync(part, { recursive: true, force: true }); // another process won the race
    }
  }
  return runs(copiedBin, who) ? copiedBin : null;
}

/** The binaries and the user to run them as, or why no Postgres server can start here. */
function prerequisites() {
  const bin = pgBin();
  if (!bin || !existsSync(join(bin, 'postgres')))
    return `no PostgreSQL binaries (${BIN_FILE} missing): run bash infra/scripts/pg-setup.sh`;
  const who = runAs();
  if (typeof who === 'string') return who;
  const usable = runnableBin(bin, who);
  return usable ? { bin: usable, who } : `${join(bin, 'postgres')} does not run as uid ${who.uid}`;
}

/** Why no Postgres server can start here, or null when one can. Synchronous, so a test's `describe` can be chosen. */
function postgresUnavailable() {
  const p = prerequisites();
  return typeof p === 'string' ? p : null;
}

async function withClient(url, fn) {
  // a bench's index build may take minutes; nothing should hang for ever
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000, query_timeout: 600_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function waitReady(url, child) {
  const until = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}`);
    try {
      return await withClient(url, async (c) => void (await c.query('SELECT 1')));
    } catch (err) {
      if (Date.now() > until)
        throw new Error(`postgres not ready within ${READY_TIMEOUT_MS} ms: ${err.message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => (clearTimeout(kill), done()));
    child.kill('SIGINT'); // "fast" shutdown: aborts sessions instead of waiting for them
  });
}

/**
 * initdb + postgres on 127.0.0.1:`port` (`settings`: more `-c name=value`), ready, with the login role
 * `glimpse` (NOSUPERUSER, NOCREATEDB, NOCREATEROLE). stop() shuts it down and removes its files.
 */
async function startPgServer({ port, settings = [] }) {
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
  const dataDir = join(dir, 'data');
  const initdb = spawnSync(
    join(bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', `--pwfile=${pwFile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--no-sync'],
    { ...who, encoding: 'utf8', timeout: READY_TIMEOUT_MS },
  );
  if (initdb.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${initdb.status ?? initdb.error}): ${initdb.stderr}`);
  }
  const args = ['-D', dataDir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'];
  const child = spawn(join(bin, 'postgres'), [...args, ...settings.flatMap((s) => ['-c', s])], {
    ...who,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (c) => (log = (log + c.toString()).slice(-4000)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const adminUrl = (db) => `postgres://postgres:${superPw}@127.0.0.1:${port}/${db}`;
  try {
    await waitReady(adminUrl('postgres'), child);
    await withClient(adminUrl('postgres'), (c) =>
      c.query(`CREATE ROLE glimpse LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '${appPw}'`),
    );
  } catch (err) {
    await stop();
    throw new Error(`${err.message}\n${log}`, { cause: err });
  }
  const appUrl = (db) => `postgres://glimpse:${appPw}@127.0.0.1:${port}/${db}`;
  // as infra/postgres/init does it: pgvector created by the superuser, the rest owned by `glimpse`
  const createDatabase = async (db) => {
    await withClient(adminUrl('postgres'), (c) => c.query(`CREATE DATABASE ${db}`));
    await withClient(adminUrl(db), async (c) => {
      await c.query('CREATE EXTENSION IF NOT EXISTS vector');
      await c.query(`ALTER DATABASE ${db} OWNER TO glimpse`);
      await c.query('ALTER SCHEMA public OWNER TO glimpse');
    });
    return appUrl(db);
  };
  return { port, pid: child.pid, dataDir, adminUrl, appUrl, createDatabase, log: () => log, stop };
}

module.exports = { postgresUnavailable, startPgServer, withClient };
