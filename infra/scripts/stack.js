#!/usr/bin/env node
'use strict';
/**
 * Runs the whole Glimpse stack on one machine (the embedded default): NATS (reused if one is
 * listening, else `nats-server -js`), the Python face_recognition worker, and the four services.
 * Used by `npm start` and by the full-stack tests, so both exercise the same wiring.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const WORKER_DIR = path.join(ROOT, 'services', 'recognizer', 'worker');
const COLORS = { nats: 90, worker: 35, matcher: 34, recognizer: 36, capture: 33, gateway: 32 };

function portOpen(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.once('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, check, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (await check().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms`);
}

function prefixer(name, sink) {
  const color = COLORS[name.replace(/-\d+$/, '')] ?? 37;
  const tag =
    sink === process.stdout && process.stdout.isTTY
      ? `\x1b[${color}m${name.padEnd(12)}\x1b[0m| `
      : `${name.padEnd(12)}| `;
  let buf = '';
  return (chunk) => {
    buf += chunk.toString();
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const line of lines) sink.write(tag + line + '\n');
  };
}

class Stack {
  constructor(opts) {
    this.opts = opts;
    this.procs = new Map();
    this.specs = new Map();
    this.stopping = false;
    /** With `opts.supervise`: per name, consecutive quick crashes and the pending restart. */
    this.supervision = new Map();
    /** How many times the supervisor restarted each process. */
    this.restarts = {};
  }

  /** Starts one named process; `spec` is kept so tests can kill and restart it. */
  spawn(name, spec) {
    this.specs.set(name, spec);
    const child = spawn(spec.cmd, spec.args, {
      cwd: spec.cwd ?? ROOT,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sink = this.opts.logSink ?? process.stdout;
    const out = prefixer(name, sink);
    child.stdout.on('data', out);
    child.stderr.on('data', out);
    child.startedAt = Date.now();
    child.on('exit', (code, signal) => {
      if (!this.stopping && !child.stopRequested && this.procs.get(name) === child) {
        sink.write(`${name.padEnd(12)}| exited (${signal ?? code})\n`);
        this.opts.onUnexpectedExit?.(name, code, signal);
        if (this.opts.supervise) this.restartLater(name, child);
      }
    });
    this.procs.set(name, child);
    return child;
  }

  /**
   * What compose's restart policy does in production: a process that died on its own (a crash, the OOM
   * killer, `kill -9`) is started again, after 0.5 s doubling to 30 s while it keeps dying within a minute.
   */
  restartLater(name, child) {
    const sup = this.supervision.get(name) ?? { crashes: 0, timer: undefined };
    this.supervision.set(name, sup);
    if (Date.now() - child.startedAt > 60_000) sup.crashes = 0;
    const delay = Math.min(30_000, 500 * 2 ** sup.crashes++);
    (this.opts.logSink ?? process.stdout).write(`${name.padEnd(12)}| restarting in ${delay} ms\n`);
    sup.timer = setTimeout(() => {
      sup.timer = undefined;
      if (this.stopping || this.procs.get(name) !== child) return;
      this.restarts[name] = (this.restarts[name] ?? 0) + 1;
      this.spawn(name, this.specs.get(name));
    }, delay);
  }

  cancelRestart(name) {
    const sup = this.supervision.get(name);
    if (sup?.timer) clearTimeout(sup.timer);
    if (sup) sup.timer = undefined;
  }

  async restart(name) {
    await this.stopOne(name);
    const child = this.spawn(name, this.specs.get(name));
    if (this.specs.get(name).ready) await waitFor(name, this.specs.get(name).ready, 120_000, child);
    return child;
  }

  /** Sends `signal` as an outsider would: with `supervise`, a process it ends is started again. */
  kill(name, signal = 'SIGKILL') {
    const child = this.procs.get(name);
    if (child && child.exitCode === null) child.kill(signal);
    return child;
  }

  /** Stops one process on purpose: the supervisor leaves it stopped (`restart` starts it again). */
  async stopOne(name, signal = 'SIGTERM', graceMs = 10_000) {
    this.cancelRestart(name);
    const child = this.procs.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.stopRequested = true;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  }

  /** Stops in reverse dependency order, so producers stop before the services they feed. */
  async stop() {
    this.stopping = true;
    for (const name of this.supervision.keys()) this.cancelRestart(name);
    for (const name of [...this.procs.keys()].reverse()) await this.stopOne(name);
  }
}

async function ensureNats(stack, natsUrl, dataDir) {
  const u = new URL(natsUrl.split(',')[0]);
  const port = Number(u.port || 4222);
  if (await portOpen(u.hostname, port)) return `reusing NATS at ${natsUrl}`;
  const bin = process.env.NATS_SERVER_BIN || 'nats-server';
  if (spawnSync(bin, ['--version']).error) {
    throw new Error(
      `No NATS server is listening on ${u.hostname}:${port} and the nats-server binary was not found.\n` +
        `Install it (Debian/Ubuntu: sudo apt-get install nats-server; elsewhere see https://docs.nats.io), ` +
        `or point NATS_URL at a running server.`,
    );
  }
  const sd = path.join(dataDir, 'nats');
  fs.mkdirSync(sd, { recursive: true });
  stack.spawn('nats', { cmd: bin, args: ['-js', '-a', u.hostname, '-p', String(port), '-sd', sd] });
  await waitFor('nats', () => portOpen(u.hostname, port), 15_000, stack.procs.get('nats'));
  return `started nats-server on ${natsUrl} (data in ${sd})`;
}

function nodeService(name, env) {
  const main = path.join(ROOT, 'services', name.replace(/-\d+$/, ''), 'dist', 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first`);
  return { cmd: process.execPath, args: ['--enable-source-maps', main], env };
}

/**
 * The admin API key of this data directory: generated on first start into `<dataDir>/admin-api-key`
 * (mode 0600), reused afterwards; ADMIN_API_KEY in the environment wins.
 */
function adminApiKey(dataDir, env = process.env) {
  if (env.ADMIN_API_KEY) return env.ADMIN_API_KEY;
  const file = path.join(dataDir, 'admin-api-key');
  if (fs.existsSync(file)) {
    const key = fs.readFileSync(file, 'utf8').trim();
    if (key.length >= 32) return key;
  }
  const crypto = require('node:crypto');
  const id = crypto.randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 16);
  const key = `glk_${id}_${crypto.randomBytes(32).toString('base64url')}`;
  fs.writeFileSync(file, key + '\n', { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return key;
}

/**
 * The face crop key file of this data directory (docs/privacy.md): 32 random bytes as hex, generated on
 * first start into `<dataDir>/crop-key` (mode 0600) like the admin key. Null when CROP_KEY or
 * CROP_KEY_FILE is in the environment: the operator's key wins.
 */
function cropKeyFile(dataDir, env = process.env) {
  if (env.CROP_KEY || env.CROP_KEY_FILE) return null;
  const file = path.join(dataDir, 'crop-key');
  if (!fs.existsSync(file)) {
    const crypto = require('node:crypto');
    fs.writeFileSync(file, crypto.randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    fs.chmodSync(file, 0o600);
  }
  return file;
}

/**
 * Opt-in Prometheus ports (`o.metrics: true`: free ports, for tests; GLIMPSE_METRICS=1: 9464 upwards
 * in start order, matcher first). `stack.metricsPorts` maps each service name to its port.
 */
function metricsPorts(o, stack) {
  const on = o.metrics ?? process.env.GLIMPSE_METRICS === '1';
  let next = Number(process.env.GLIMPSE_METRICS_BASE_PORT || 9464);
  stack.metricsPorts = {};
  return async (name) => {
    if (!on) return {};
    const port = o.metrics ? await freePort() : next++;
    stack.metricsPorts[name] = port;
    return { METRICS_PORT: String(port) };
  };
}

async function httpOk(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.ok;
}

/**
 * @param {object} o
 * @param {string} [o.natsUrl]
 * @param {string} [o.dataDir]   where PGlite, NATS and uploads keep data
 * @param {number} [o.port]      gateway port (0 = a free one)
 * @param {number} [o.recognizers] recognizer instances
 * @param {Record<string,string>} [o.env] extra env for every service
 * @param {boolean} [o.supervise] restart a process that exits unexpectedly (npm start does)
 */
async function startStack(o = {}) {
  const natsUrl = o.natsUrl ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const dataDir = path.resolve(o.dataDir ?? process.env.GLIMPSE_DATA_DIR ?? path.join(ROOT, 'data'));
  const port = o.port === 0 ? await freePort() : Number(o.port ?? process.env.PORT ?? 3000);
  const workerPort = o.workerPort ?? (await freePort());
  const stack = new Stack(o);
  const say = (m) => (o.logSink ?? process.stdout).write(`glimpse     | ${m}\n`);
  fs.mkdirSync(dataDir, { recursive: true });
  const apiKey = adminApiKey(dataDir, { ...process.env, ...(o.env ?? {}) });
  const cropKey = cropKeyFile(dataDir, { ...process.env, ...(o.env ?? {}) });

  try {
    say(await ensureNats(stack, natsUrl, dataDir));
    const python = path.join(WORKER_DIR, '.venv', 'bin', 'python');
    if (!fs.existsSync(python))
      throw new Error(`Python worker venv missing: run bash ${path.relative(ROOT, WORKER_DIR)}/setup.sh`);
    const workerUrl = `http://127.0.0.1:${workerPort}`;
    const common = { NATS_URL: natsUrl, ...(o.env ?? {}) };
    const metrics = metricsPorts(o, stack);

    stack.spawn('worker', {
      cmd: python,
      args: ['-m', 'app'],
      cwd: WORKER_DIR,
      env: {
        GLIMPSE_WORKER_PORT: String(workerPort),
        GLIMPSE_WORKER_HOST: '127.0.0.1',
        PYTHONUNBUFFERED: '1',
        ...(o.workerEnv ?? {}),
      },
      ready: () => httpOk(`${workerUrl}/ping`),
    });
    const crops = cropKey ? { CROP_KEY_FILE: cropKey } : {};
    stack.spawn(
      'matcher',
      nodeService('matcher', {
        ...crops,
        ...common,
        ...(await metrics('matcher')),
        DATA_DIR: path.join(dataDir, 'pglite'),
      }),
    );
    const recognizers = o.recognizers ?? 1;
    for (let i = 1; i <= recognizers; i++) {
      const name = recognizers > 1 ? `recognizer-${i}` : 'recognizer';
      stack.spawn(
        name,
        nodeService(name, { ...common, ...(await metrics(name)), WORKER_URLS: workerUrl, INSTANCE_ID: name }),
      );
    }
    // the web UI's video upload streams files from the gateway's UPLOAD_DIR: only those (o.env may widen it)
    const fileStreams = {
      STREAM_ALLOWED_SCHEMES: 'rtsp,rtsps,http,https,file',
      STREAM_FILE_ROOTS: path.join(dataDir, 'uploads'),
    };
    stack.spawn('capture', nodeService('capture', { ...fileStreams, ...common, ...(await metrics('capture')) }));
    stack.spawn('gateway', {
      ...nodeService('gateway', {
        ...common,
        ...(await metrics('gateway')),
        ADMIN_API_KEY: apiKey,
        PORT: String(port),
        UPLOAD_DIR: path.join(dataDir, 'uploads'),
      }),
      ready: () => httpOk(`http://127.0.0.1:${port}/healthz`),
    });

    await waitFor('worker', stack.specs.get('worker').ready, 120_000, stack.procs.get('worker'));
    await waitFor('stack health', stack.specs.get('gateway').ready, 120_000, stack.procs.get('gateway'));
  } catch (err) {
    await stack.stop();
    throw err;
  }
  stack.url = `http://localhost:${port}`;
  stack.port = port;
  stack.workerUrl = `http://127.0.0.1:${workerPort}`;
  stack.natsUrl = natsUrl;
  stack.dataDir = dataDir;
  /** The admin API key (also what the web client's sign-in link carries). */
  stack.apiKey = apiKey;
  return stack;
}

/**
 * npm start on a new machine serves on the prebuilt dlib-bin while dlib is compiled against OpenBLAS
 * (`setup.sh --dlib-later` left it `pending`): that compile runs here, niced, in its own process group.
 * The worker moves to the new build when it is installed (services/recognizer/worker/app/dlib_build.py).
 */
function startDlibBuild(say) {
  let state = '';
  try {
    state = fs.readFileSync(path.join(WORKER_DIR, '.venv', '.glimpse-dlib-build'), 'utf8').trim();
  } catch {
    return null;
  }
  if (state !== 'pending' && !/^building \d+$/.test(state)) return null;
  say('compiling dlib against OpenBLAS in the background (~7 minutes on 2 idle cores, once); /healthz shows progress');
  say('the worker moves to it when it is installed: face encoding gets ~4x faster');
  const child = spawn('nice', ['-n', '10', 'bash', path.join(WORKER_DIR, 'setup.sh'), '--dlib-build'], {
    cwd: WORKER_DIR,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = prefixer('dlib-build', process.stdout);
  child.stdout.on('data', out);
  child.stderr.on('data', out);
  child.on('exit', (code, signal) => {
    if (code === 0 || child.stopRequested) return;
    const log = path.relative(ROOT, path.join(WORKER_DIR, '.venv', 'dlib-build.log'));
    say(`the dlib compile stopped (${signal ?? code}); the worker stays on dlib-bin (log: ${log})`);
  });
  return child;
}

function stopDlibBuild(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.stopRequested = true;
  try {
    process.kill(-child.pid, 'SIGTERM'); // pip, cmake and the compilers with it; the next start resumes
  } catch {
    /* already gone */
  }
}

module.exports = { startStack, freePort, portOpen, waitFor, adminApiKey, cropKeyFile, ROOT };

if (require.main === module) {
  (async () => {
    let stack;
    let dlibBuild = null;
    let shuttingDown = false;
    const shutdown = async (sig) => {
      if (shuttingDown) return;
      shuttingDown = true;
      process.stdout.write(`\nglimpse     | ${sig}: stopping every service...\n`);
      stopDlibBuild(dlibBuild);
      if (stack) await stack.stop();
      process.stdout.write('glimpse     | stopped cleanly\n');
      process.exit(0);
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    try {
      stack = await startStack({
        recognizers: Number(process.env.RECOGNIZERS ?? 1),
        supervise: true,
        onUnexpectedExit: (name) =>
          process.stdout.write(`glimpse     | ${name} stopped unexpectedly; starting it again\n`),
      });
      process.stdout.write(
        `\nglimpse     | \u2705 Glimpse is running: open ${stack.url}/#key=${stack.apiKey}  (Ctrl-C stops everything)\n` +
          `glimpse     |    (the admin API key is in ${path.join(stack.dataDir, 'admin-api-key')}; create others with npm run apikey -- create --name <name> --scopes read)\n\n`,
      );
      const say = (m) => process.stdout.write(`glimpse     | ${m}\n`);
      if (process.env.GLIMPSE_DLIB !== 'bin') dlibBuild = startDlibBuild(say);
    } catch (err) {
      process.stderr.write(`glimpse     | failed to start: ${err.message}\n`);
      process.exit(1);
    }
  })();
}
