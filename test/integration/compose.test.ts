/** docker-compose.yml is validated offline (no Docker engine here) with Debian's docker-compose v1. */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const available = !spawnSync('docker-compose', ['version']).error;
if (!available) console.warn('\n*** SKIPPING compose validation: docker-compose is not installed ***\n');
const run = (args: string[], env: Record<string, string>) =>
  spawnSync('docker-compose', args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });

(available ? describe : describe.skip)('docker-compose.yml', () => {
  const secrets = { POSTGRES_PASSWORD: 'x'.repeat(24), SESSION_SECRET: 'y'.repeat(32) };

  it('is valid and runs every service with its dependencies', () => {
    const out = execFileSync('docker-compose', ['config', '--services'], { cwd: ROOT, env: { ...process.env, ...secrets } }).toString();
    expect(out.split('\n').filter(Boolean).sort()).toEqual(
      expect.arrayContaining(['capture', 'gateway', 'matcher', 'nats', 'postgres', 'recognizer', 'worker']),
    );
  });

  it('refuses to start without the production secrets', () => {
    const res = run(['config', '-q'], { POSTGRES_PASSWORD: '', SESSION_SECRET: '' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/POSTGRES_PASSWORD|SESSION_SECRET/);
  });

  it('has valid gpu and openvidu profiles', () => {
    const res = run(['--profile', 'gpu', '--profile', 'openvidu', 'config', '--services'], { ...secrets, OPENVIDU_SECRET: 'z'.repeat(16) });
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/worker-gpu/);
    expect(res.stdout).toMatch(/openvidu/);
  });
});
