import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, until } from '@glimpse/testing';

const ROOT = resolve(__dirname, '..', '..');
export const WORKER_DIR = join(ROOT, 'services', 'recognizer', 'worker');
const PYTHON = join(WORKER_DIR, '.venv', 'bin', 'python');
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

export interface RunningWorker {
  /** Base URL, e.g. http://127.0.0.1:41234 (what WORKER_URLS takes). */
  url: string;
  port: number;
  /** The worker's recent stdout and stderr, for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Runs the real Python face recognition worker on a free port (or `port`) and waits for `/ping`.
 * Creates the venv with `setup.sh` first when it is missing.
 */
export async function startWorker(opts: { port?: number; env?: Record<string, string> } = {}): Promise<RunningWorker> {
  ensureVenv();
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(PYTHON, ['-m', 'app'], {
    cwd: WORKER_DIR,
    env: {
      ...process.env,
      GLIMPSE_WORKER_HOST: '127.0.0.1',
      GLIMPSE_WORKER_PORT: String(port),
      PYTHONUNBUFFERED: '1',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 50) lines.splice(0, lines.length - 50);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const worker = { url, port, output: () => lines.join('\n'), stop: () => stopChild(child) };
  try {
    await waitForPing(url, child);
  } catch (err) {
    await worker.stop();
    throw new Error(`${(err as Error).message}\n--- worker output ---\n${worker.output()}`, { cause: err });
  }
  return worker;
}

/** The fixture photo folder (GLIMPSE_FIXTURES, default <repo>/../shared/fixtures/faces), or null with a loud warning. */
export function fixturesDir(): string | null {
  const dir = resolve(process.env.GLIMPSE_FIXTURES || join(ROOT, '..', 'shared', 'fixtures', 'faces'));
  if (existsSync(join(dir, 'MANIFEST.tsv'))) return dir;
  warnOnce(`no fixture faces at ${dir} (set GLIMPSE_FIXTURES): tests that need photos are SKIPPED`);
  return null;
}

/** The photos grouped by person, each person's paths in manifest order (people in order of first photo). */
export function photosByPerson(photos: Array<{ identity: string; path: string }>): Map<string, string[]> {
  const byPerson = new Map<string, string[]>();
  for (const p of photos) byPerson.set(p.identity, [...(byPerson.get(p.identity) ?? []), p.path]);
  return byPerson;
}

/** Every photo in MANIFEST.tsv order, with absolute paths; [] (and a warning) without fixtures. */
export function fixturePhotos(): Array<{ identity: string; path: string }> {
  const dir = fixturesDir();
  if (!dir) return [];
  const [header, ...rows] = readFileSync(join(dir, 'MANIFEST.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  const cols = header.split('\t');
  const identity = cols.indexOf('identity');
  const path = cols.indexOf('relative_path');
  if (identity < 0 || path < 0) throw new Error(`${dir}/MANIFEST.tsv lacks identity or relative_path columns`);
  return rows.map((row) => {
    const cells = row.split('\t');
    return { identity: cells[identity], path: join(dir, cells[path]) };
  });
}

function ensureVenv(): void {
  if (existsSync(PYTHON)) return;
  const setup = spawnSync('bash', [join(WORKER_DIR, 'setup.sh')], { encoding: 'utf8', timeout: 600_000 });
  if (setup.status !== 0) {
    throw new Error(
      `worker setup failed (bash ${WORKER_DIR}/setup.sh):\n${setup.stdout ?? ''}${setup.stderr ?? ''}${setup.error ?? ''}`,
    );
  }
}

async function waitForPing(url: string, child: ChildProcess): Promise<void> {
  await until(
    `the worker to answer ${url}/ping`,
    () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`worker exited (${child.signalCode ?? `code ${child.exitCode}`}) before answering ${url}/ping`);
      }
      return fetch(`${url}/ping`, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => r.ok,
        () => false,
      );
    },
    { timeoutMs: READY_TIMEOUT_MS, everyMs: 200 },
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(killer);
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`\n!!!!!!!!!!\n!! WARNING: ${message}\n!!!!!!!!!!\n`);
}
