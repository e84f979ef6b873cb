/**
 * Property-based fuzzing of the HTTP API from its own OpenAPI document (issue #12): schemathesis
 * generates requests for every documented operation, valid and invalid, against the whole stack (real
 * NATS, Python worker, matcher on PGlite), three times: with the admin key, a read key and no
 * credentials. Every answer must be below 500, every error application/problem+json with
 * {type, title, status, detail, code}, every answer as documented (status, content type, schema), and
 * /healthz 200 afterwards. Seeded and bounded (examples per operation), so a run is reproducible:
 * a failure prints the requests to replay, and schemathesis's report is in test-artifacts/fuzz/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@glimpse/testing';
import { describeRequest, failureReport, readTally, runSchemathesis, SCHEMATHESIS, type Tally } from '../support/fuzz';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack, ROOT } = require('../../infra/scripts/stack.js');

jest.setTimeout(600_000);

/** Fixed, so that a failure is found again by the same run (change it to explore further). */
const SEED = 20261206;
const ARTIFACTS = join(ROOT, 'test-artifacts', 'fuzz');

/**
 * Checks left out: `positive_data_acceptance` (a schema-valid image without a face is rightly a 400: no
 * schema says "has a face"), `unsupported_method` and `allow_header_conformance` (an undocumented method
 * on a documented path is a 404 problem, as any unknown route, not a 405 with Allow).
 */
const EXCLUDED_CHECKS = ['positive_data_acceptance', 'unsupported_method', 'allow_header_conformance'];

interface Pass {
  name: string;
  /** The API key sent as a bearer token; none: schemathesis generates (invalid) credentials itself. */
  key: () => string | undefined;
  examples: number;
}

function stArgs(url: string, pass: Pass, junit: string): string[] {
  const key = pass.key();
  return [
    `${url}/api/docs/openapi.json`,
    '--seed',
    String(SEED),
    '--max-examples',
    String(pass.examples),
    '--workers',
    '1',
    '--generation-database',
    'none',
    '--exclude-checks',
    EXCLUDED_CHECKS.join(','),
    '--request-timeout',
    '60',
    '--no-color',
    '--report',
    'junit',
    '--report-junit-path',
    junit,
    ...(key ? ['--header', `Authorization: Bearer ${key}`, '--generation-with-security-parameters', 'false'] : []),
  ];
}

function summary(name: string, t: Tally, seconds: number): string {
  return `FUZZ pass=${name} requests=${t.requests} operations=${t.operations.size} 5xx=${t.serverErrors.length} problems-not-json=${t.notProblems.length} no-answer=${t.noAnswer.length} seconds=${seconds.toFixed(0)}`;
}

describe('API fuzzing from the OpenAPI document (schemathesis, whole stack)', () => {
  let stack: any;
  let readKey: string;
  let documented: number;
  const dataDir = mkdtempSync(join(tmpdir(), 'glimpse-fuzz-'));
  const log: string[] = [];
  const totals = { requests: 0, serverErrors: 0, notProblems: 0, seconds: 0 };

  beforeAll(async () => {
    if (!existsSync(SCHEMATHESIS))
      throw new Error(`${SCHEMATHESIS} is missing: run bash infra/scripts/fuzz-setup.sh (prepare.sh --dev does)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startStack({
      natsUrl: `nats://127.0.0.1:${await freePort()}`,
      port: 0,
      dataDir,
      // the fuzzer's thousands of requests test the handlers, not the rate limits (rate-limit.test.ts does)
      env: { RATE_LIMIT_API_PER_MIN: '0', RATE_LIMIT_AUTH_PER_MIN: '0', RATE_LIMIT_SESSIONS_PER_MIN: '0' },
      logSink: { write: (s: string) => log.push(s) },
    });
    const res = await fetch(`${stack.url}/api/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'fuzz-read', scopes: ['read'] }),
    });
    expect(res.status).toBe(201);
    readKey = ((await res.json()) as { key: string }).key;
    const doc = (await (await fetch(`${stack.url}/api/docs/openapi.json`)).json()) as { paths: Record<string, object> };
    documented = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    writeFileSync(join(ARTIFACTS, 'stack.log'), log.join(''));
    rmSync(dataDir, { recursive: true, force: true });
    console.log(
      `FUZZ requests=${totals.requests} 5xx=${totals.serverErrors} problems-not-json=${totals.notProblems} seconds=${totals.seconds.toFixed(0)}`,
    );
  });

  const passes: Pass[] = [
    { name: 'admin', key: () => stack.apiKey, examples: 25 },
    { name: 'read', key: () => readKey, examples: 5 },
    { name: 'anonymous', key: () => undefined, examples: 5 },
  ];

  it.each(passes)('$name: no 5xx, every error a problem document, every answer as documented', async (pass) => {
    const tallyFile = join(ARTIFACTS, `${pass.name}.tally.ndjson`);
    rmSync(tallyFile, { force: true });
    const run = await runSchemathesis(
      stArgs(stack.url, pass, join(ARTIFACTS, `${pass.name}.junit.xml`)),
      ARTIFACTS,
      tallyFile,
      join(ARTIFACTS, `${pass.name}.log`),
      300_000,
    );
    const t = readTally(tallyFile);
    console.log(summary(pass.name, t, run.seconds));
    totals.requests += t.requests;
    totals.serverErrors += t.serverErrors.length;
    totals.notProblems += t.notProblems.length;
    totals.seconds += run.seconds;

    // every documented operation was exercised: a fuzzer that sent nothing would pass everything
    expect(t.operations.size).toBe(documented);
    expect([...t.serverErrors, ...t.notProblems, ...t.noAnswer].map(describeRequest).slice(0, 20)).toEqual([]);
    if (run.code !== 0)
      throw new Error(
        `schemathesis exited ${run.code} (full log: test-artifacts/fuzz/${pass.name}.log):\n${failureReport(run.output)}`,
      );
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
  });

  it('leaves the stack healthy, with every process still running', async () => {
    const res = await fetch(`${stack.url}/healthz`);
    expect(res.status).toBe(200);
    const exited = [...(stack.procs as Map<string, { exitCode: number | null }>)]
      .filter(([, p]) => p.exitCode !== null)
      .map(([n]) => n);
    expect(exited).toEqual([]);
  });
});
