/** docker-compose.yml is validated offline (no Docker engine here) with Debian's docker-compose v1. */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
// `yaml` comes with the toolchain (a dependency of several dev tools); only this test reads it
import { parse as parseYaml } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const available = !spawnSync('docker-compose', ['version']).error;
if (!available) console.warn('\n*** SKIPPING compose validation: docker-compose is not installed ***\n');
const run = (args: string[], env: Record<string, string>) =>
  spawnSync('docker-compose', args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });

const SERVICES = ['gateway', 'capture', 'recognizer', 'matcher'] as const;
const NATS_SECRETS = Object.fromEntries(
  [...SERVICES, 'events'].map((u) => [`GLIMPSE_NATS_${u.toUpperCase()}_PASSWORD`, `p${u}0123456789abcdef`]),
);

interface Service {
  environment?: Record<string, string>;
  volumes?: string[];
  command?: string[];
}

(available ? describe : describe.skip)('docker-compose.yml', () => {
  const secrets = {
    POSTGRES_PASSWORD: 'x'.repeat(24),
    GLIMPSE_DB_PASSWORD: 'd'.repeat(24),
    SESSION_SECRET: 'y'.repeat(32),
    CROP_KEY: '3f'.repeat(32),
    ...NATS_SECRETS,
  };
  const config = (env: Record<string, string> = {}): { services: Record<string, Service> } => {
    const res = run(['config'], { ...secrets, ...env });
    expect(res.stderr).not.toMatch(/ERROR/);
    return parseYaml(res.stdout);
  };

  it('is valid and runs every service with its dependencies', () => {
    const out = execFileSync('docker-compose', ['config', '--services'], {
      cwd: ROOT,
      env: { ...process.env, ...secrets },
    }).toString();
    expect(out.split('\n').filter(Boolean).sort()).toEqual(
      expect.arrayContaining(['capture', 'gateway', 'matcher', 'nats', 'postgres', 'recognizer', 'worker']),
    );
  });

  it('refuses to start without each production secret', () => {
    for (const name of Object.keys(secrets)) {
      const res = run(['config', '-q'], { ...secrets, [name]: '' });
      expect({ name, status: res.status === 0 ? 'accepted' : 'refused' }).toEqual({ name, status: 'refused' });
      expect(res.stderr).toContain(name);
    }
  });

  it('gives every service its own NATS user and runs nats-server with infra/nats/nats.conf', () => {
    const { services } = config();
    for (const s of SERVICES) {
      expect(services[s].environment).toMatchObject({
        NATS_USER: s,
        NATS_PASSWORD: NATS_SECRETS[`GLIMPSE_NATS_${s.toUpperCase()}_PASSWORD`],
      });
      expect(services[s].environment?.NODE_ENV).toBe('production');
    }
    const nats = services.nats;
    expect(nats.command).toEqual(['-c', '/etc/nats/nats.conf', '-sd', '/data']);
    expect(nats.environment).toMatchObject(NATS_SECRETS);
    expect(nats.volumes?.join(' ')).toMatch(/infra\/nats\/nats\.conf:\/etc\/nats\/nats\.conf:ro/);
    // TLS: the other config, a tls:// URL and the CA for every service
    const tls = config({
      NATS_CONFIG: 'nats-tls.conf',
      NATS_URL: 'tls://nats:4222',
      NATS_TLS_CA: '/etc/glimpse/nats-certs/ca.pem',
    }).services;
    expect(tls.nats.command).toEqual(['-c', '/etc/nats/nats-tls.conf', '-sd', '/data']);
    for (const s of SERVICES) {
      expect(tls[s].environment).toMatchObject({
        NATS_URL: 'tls://nats:4222',
        NATS_TLS_CA: '/etc/glimpse/nats-certs/ca.pem',
      });
      expect(tls[s].volumes?.join(' ')).toMatch(/:\/etc\/glimpse\/nats-certs:ro/);
    }
  });

  it('connects the matcher as the glimpse application role, not the Postgres superuser', () => {
    const { services } = config();
    expect(services.matcher.environment?.DATABASE_URL).toBe(
      `postgres://glimpse:${secrets.GLIMPSE_DB_PASSWORD}@postgres:5432/glimpse`,
    );
    expect(services.postgres.environment).toMatchObject({
      POSTGRES_USER: 'postgres',
      GLIMPSE_DB_PASSWORD: secrets.GLIMPSE_DB_PASSWORD,
    });
    expect(services.postgres.environment?.POSTGRES_PASSWORD).not.toBe(secrets.GLIMPSE_DB_PASSWORD);
    expect(services.postgres.volumes?.join(' ')).toMatch(/infra\/postgres\/init:\/docker-entrypoint-initdb\.d:ro/);
  });

  it("gives the matcher BLUR_UNKNOWN and RECOGNITION_MODE from the operator's environment (the gateway asks it)", () => {
    expect(config().services.matcher.environment).toMatchObject({
      BLUR_UNKNOWN: 'false',
      RECOGNITION_MODE: 'remember',
    });
    const { services } = config({ BLUR_UNKNOWN: 'true', RECOGNITION_MODE: 'watchlist' });
    expect(services.matcher.environment).toMatchObject({ BLUR_UNKNOWN: 'true', RECOGNITION_MODE: 'watchlist' });
    expect(services.gateway.environment?.BLUR_UNKNOWN).toBeUndefined();
  });

  it('has valid gpu and openvidu profiles', () => {
    const res = run(['--profile', 'gpu', '--profile', 'openvidu', 'config', '--services'], {
      ...secrets,
      OPENVIDU_SECRET: 'z'.repeat(16),
    });
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/worker-gpu/);
    expect(res.stdout).toMatch(/openvidu/);
  });
});
