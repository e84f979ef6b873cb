/**
 * Running schemathesis (test/fuzz/.venv, installed by infra/scripts/fuzz-setup.sh) against a running
 * gateway, and reading the tally its hooks (test/fuzz/hooks.py) write: one JSON line per request sent.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
export const FUZZ_DIR = join(ROOT, 'test', 'fuzz');
export const SCHEMATHESIS = join(FUZZ_DIR, '.venv', 'bin', 'st');

/** One request the fuzzer sent, as hooks.py records it. */
export interface TallyEntry {
  operation: string;
  method: string;
  url: string;
  body: string | null;
  /** Credential headers (Authorization, X-API-Key, Cookie); an API key shows only its public id. */
  headers?: Record<string, string>;
  /** 0: no answer (network error or timeout). */
  status: number;
  /** Why an error answer is not a problem document (or there was no answer). */
  problem?: string;
  answer?: string;
}

export interface Tally {
  requests: number;
  operations: Set<string>;
  statuses: Record<number, number>;
  serverErrors: TallyEntry[];
  notProblems: TallyEntry[];
  noAnswer: TallyEntry[];
}

export function readTally(file: string): Tally {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const entries = lines.map((l) => JSON.parse(l) as TallyEntry);
  const statuses: Record<number, number> = {};
  for (const e of entries) statuses[e.status] = (statuses[e.status] ?? 0) + 1;
  return {
    requests: entries.length,
    operations: new Set(entries.map((e) => e.operation)),
    statuses,
    serverErrors: entries.filter((e) => e.status >= 500),
    notProblems: entries.filter((e) => e.status >= 400 && e.problem),
    noAnswer: entries.filter((e) => e.status === 0),
  };
}

/** A request as one line a reader can replay by hand. */
export function describeRequest(e: TallyEntry): string {
  const headers = Object.entries(e.headers ?? {})
    .map(([k, v]) => ` ${k}=${JSON.stringify(v)}`)
    .join('');
  const body = e.body ? ` body=${JSON.stringify(e.body.slice(0, 120))}` : '';
  const why = `${e.status || 'no answer'}${e.problem ? ` (${e.problem})` : ''}${e.answer ? ` answer=${e.answer.slice(0, 160)}` : ''}`;
  return `${e.method} ${e.url}${headers}${body} -> ${why}`;
}

export interface FuzzRun {
  /** schemathesis's exit code: 0 when every check passed; null when it was killed. */
  code: number | null;
  /** Its console output (also in `logFile`). */
  output: string;
  seconds: number;
}

/**
 * Runs `st run` with `args`, the hooks loaded and the tally written to `tallyFile`, in `workDir` (where
 * schemathesis keeps its replay files); kills it after `timeoutMs`.
 */
export function runSchemathesis(
  args: string[],
  workDir: string,
  tallyFile: string,
  logFile: string,
  timeoutMs: number,
): Promise<FuzzRun> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, ['run', ...args], {
      cwd: workDir,
      env: {
        ...process.env,
        SCHEMATHESIS_HOOKS: join(FUZZ_DIR, 'hooks.py'),
        FUZZ_TALLY: tallyFile,
        NO_COLOR: '1',
        COLUMNS: '160',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    const log = createWriteStream(logFile);
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      log.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', reject);
    child.once('close', (code) => {
      log.end();
      resolve({ code, output, seconds: (Date.now() - t0) / 1000 });
    });
  });
}

/** The part of schemathesis's report worth showing when it failed: from FAILURES/ERRORS to the end, capped. */
export function failureReport(output: string, max = 6000): string {
  const at = output.search(/^=+ (FAILURES|ERRORS) =+$/m);
  const text = at >= 0 ? output.slice(at) : output;
  return text.length > max ? `${text.slice(0, max / 2)}\n…\n${text.slice(-max / 2)}` : text;
}
