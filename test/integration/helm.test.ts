/**
 * The Helm chart (infra/helm/glimpse), offline: infra/helm/check.py lints and renders it through Helm's own Go
 * SDK in several value scenarios, validates every object strictly against the Kubernetes schemas, KEDA's
 * ScaledObject model and the CloudNativePG Cluster fields it uses, runs checkov, and checks the chart's own
 * invariants; then the same checker must reject a copy of the chart with one invalid field. Nothing here
 * talks to a cluster (docs/cluster.md says what was never run on one).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '..', '..');
const PYTHON = join(ROOT, 'test', 'helm', '.venv', 'bin', 'python');
const CHECK = join(ROOT, 'infra', 'helm', 'check.py');
const ready = existsSync(join(ROOT, 'test', 'helm', '.venv', '.glimpse-setup'));
if (!ready && process.env.GLIMPSE_HELM_REQUIRED === '1')
  throw new Error('the chart checkers are missing: run infra/scripts/helm-setup.sh');
if (!ready)
  console.warn(
    '\n*** SKIPPING the Helm chart checks: test/helm/.venv is missing (run infra/scripts/helm-setup.sh) ***\n',
  );

function check(env: Record<string, string>, out: string): { status: number | null; output: string } {
  const r = spawnSync(PYTHON, [CHECK, out], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 280_000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

(ready ? describe : describe.skip)('the Helm chart, rendered and validated offline', () => {
  it('renders every scenario into valid, hardened objects, and refuses bad values', () => {
    const { status, output } = check({}, join(ROOT, 'test-artifacts', 'helm'));
    for (const line of output.split('\n').filter((l) => /^(HELM|FAIL)/.test(l))) console.log(line);
    expect(output).toMatch(/^HELM default rendered \d+ objects: .*1 Cluster.*4 Deployment.*1 ScaledObject/m);
    expect(output).toMatch(/^HELM gpu-pool rendered \d+ objects: .*5 Deployment.*2 ScaledObject/m);
    expect(output).toMatch(/^HELM external-db rendered /m);
    expect(output).toMatch(/^HELM default checkov passed=[1-9]\d* failed=0/m);
    expect(output).toMatch(/^HELM no-secrets refused/m);
    expect(output).not.toMatch(/^FAIL/m);
    expect(status).toBe(0);
  });

  it('fails on a chart with one misspelt field in a Deployment and one in the ScaledObject', () => {
    const copy = mkdtempSync(join(tmpdir(), 'glimpse-helm-'));
    try {
      // dereference: files/nats.conf is a link to infra/nats/nats.conf
      cpSync(join(ROOT, 'infra', 'helm', 'glimpse'), copy, { recursive: true, dereference: true });
      const edit = (file: string, from: string, to: string) => {
        const path = join(copy, 'templates', file);
        const text = readFileSync(path, 'utf8');
        expect(text).toContain(from);
        writeFileSync(path, text.replace(from, to));
      };
      edit('capture.yaml', 'terminationGracePeriodSeconds:', 'terminationGracePeriod:');
      edit('scaledobject.yaml', 'minReplicaCount:', 'minReplicas:');
      const { status, output } = check({ GLIMPSE_HELM_CHART: copy }, join(copy, 'out'));
      expect(output).toMatch(
        /^FAIL default: Deployment\/glimpse-capture is invalid for Kubernetes .*terminationGracePeriod/m,
      );
      expect(output).toMatch(/^FAIL default: ScaledObject\/glimpse-recognizer: .*minReplicas/m);
      expect(status).toBe(1);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
