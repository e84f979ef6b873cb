import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolve } from 'node:path';
import { ConfigError } from '@glimpse/platform';
import { defaultPublicDir, loadGatewayConfig } from './config';

describe('gateway config', () => {
  it('has working defaults', () => {
    const cfg = loadGatewayConfig({});
    expect(cfg).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      MAX_UPLOAD_BYTES: 20 * 1024 * 1024,
      MAX_IMAGE_PIXELS: 40_000_000,
      MAX_VIDEO_UPLOAD_BYTES: 200 * 1024 * 1024,
      UPLOAD_DIR: resolve('data/uploads'),
      RECOGNIZE_TIMEOUT_MS: 30_000,
      HEALTH_TIMEOUT_MS: 2_000,
      PUBLIC_DIR: defaultPublicDir(),
      SESSION_TTL_S: 3600,
      LIVE_STATUS_TIMEOUT_MS: 5000,
    });
    expect(cfg.SESSION_SECRET).toBeUndefined();
    expect(cfg.INSTANCE_ID).toMatch(/^gateway-/);
  });

  it('lists every bad variable', () => {
    expect(() => loadGatewayConfig({ PORT: 'eighty', MAX_UPLOAD_BYTES: '-1' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ PORT: 'eighty', MAX_UPLOAD_BYTES: '-1' })).toThrow(/PORT[\s\S]*MAX_UPLOAD_BYTES/);
  });

  it('parses the OpenVidu and webhook variables with the rest, from the same environment', () => {
    expect(loadGatewayConfig({}).openvidu).toBeNull();
    expect(loadGatewayConfig({}).webhooks.policy.allowPrivate).toBe(false);
    const cfg = loadGatewayConfig({
      OPENVIDU_URL: 'http://openvidu:5443/',
      OPENVIDU_SECRET: 's3cret',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_TIMEOUT_MS: '2500',
    });
    expect(cfg.openvidu).toEqual({ url: 'http://openvidu:5443', secret: 's3cret', timeoutMs: 10_000 });
    expect(cfg.webhooks).toMatchObject({ policy: { allowPrivate: true }, timeoutMs: 2500 });
    // a half-set pair or a bad webhook setting stops the gateway at start, like its own variables
    expect(() => loadGatewayConfig({ OPENVIDU_URL: 'http://openvidu:5443' })).toThrow(/OPENVIDU_SECRET/);
    expect(() => loadGatewayConfig({ WEBHOOK_TIMEOUT_MS: 'soon' })).toThrow(/WEBHOOK_TIMEOUT_MS/);
    // all of them in one error, not the first part's only
    expect(() => loadGatewayConfig({ PORT: 'eighty', OPENVIDU_SECRET: 's', WEBHOOK_TIMEOUT_MS: 'soon' })).toThrow(
      /PORT[\s\S]*OPENVIDU_URL[\s\S]*WEBHOOK_TIMEOUT_MS/,
    );
  });

  it('serves the web client built in apps/web', () => {
    expect(defaultPublicDir()).toBe(resolve(__dirname, '..', '..', '..', 'apps', 'web', 'dist'));
    expect(defaultPublicDir('/r')).toBe(resolve('/r', 'apps', 'web', 'dist'));
    expect(loadGatewayConfig({ PUBLIC_DIR: 'x/y' }).PUBLIC_DIR).toBe(resolve('x/y'));
  });

  it('wants a session secret of at least 32 characters', () => {
    expect(() => loadGatewayConfig({ SESSION_SECRET: 'short' })).toThrow(/SESSION_SECRET/);
    expect(loadGatewayConfig({ SESSION_SECRET: 'x'.repeat(32) }).SESSION_SECRET).toHaveLength(32);
  });

  it('refuses to start in production without a real session secret', () => {
    expect(() => loadGatewayConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() =>
      loadGatewayConfig({ NODE_ENV: 'production', SESSION_SECRET: 'change-me-change-me-change-me-1234' }),
    ).toThrow(/SESSION_SECRET/);
    expect(
      loadGatewayConfig({ NODE_ENV: 'production', SESSION_SECRET: '3b9f0c2e7a1d4e6f8a0b2c4d6e8f0a1b' }).NODE_ENV,
    ).toBe('production');
  });

  it('takes an admin key of at least 32 characters', () => {
    expect(() => loadGatewayConfig({ ADMIN_API_KEY: 'short' })).toThrow(/ADMIN_API_KEY/);
    expect(loadGatewayConfig({ ADMIN_API_KEY: 'a'.repeat(32) }).ADMIN_API_KEY).toHaveLength(32);
    expect(loadGatewayConfig({ ADMIN_API_KEY: '' }).ADMIN_API_KEY).toBeUndefined();
  });

  const prod = { NODE_ENV: 'production', SESSION_SECRET: '9f2c6a1e0b7d4c3f8a5e2d1c0b9a8f7e6d5c4b3a2f1e0d9c' };

  it('refuses an example ADMIN_API_KEY in production, not an unset one', () => {
    expect(() => loadGatewayConfig({ ...prod, ADMIN_API_KEY: 'change-me-to-a-long-random-admin-key-000' })).toThrow(
      /ADMIN_API_KEY is a known default/,
    );
    expect(() => loadGatewayConfig({ ...prod, ADMIN_API_KEY: 'x'.repeat(40) })).toThrow(/ADMIN_API_KEY/);
    expect(
      loadGatewayConfig({ ...prod, ADMIN_API_KEY: 'Zr8X0GdoYBhkfy8F7eKpwJx3aa91bcQ2' }).ADMIN_API_KEY,
    ).toHaveLength(32);
    expect(loadGatewayConfig(prod).ADMIN_API_KEY).toBeUndefined();
    expect(loadGatewayConfig({ ADMIN_API_KEY: 'x'.repeat(40) }).ADMIN_API_KEY).toHaveLength(40); // development: allowed
  });

  it('reads SESSION_SECRET from SESSION_SECRET_FILE (Docker secrets)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-secret-'));
    const file = join(dir, 'session_secret');
    writeFileSync(file, `${prod.SESSION_SECRET}\n`);
    expect(loadGatewayConfig({ NODE_ENV: 'production', SESSION_SECRET_FILE: file }).SESSION_SECRET).toBe(
      prod.SESSION_SECRET,
    );
    writeFileSync(file, 'changeme-changeme-changeme-changeme\n');
    expect(() => loadGatewayConfig({ NODE_ENV: 'production', SESSION_SECRET_FILE: file })).toThrow(/SESSION_SECRET/);
    expect(() => loadGatewayConfig({ SESSION_SECRET_FILE: join(dir, 'missing') })).toThrow(
      /SESSION_SECRET_FILE: cannot read/,
    );
  });

  it('parses CORS_ORIGINS, TRUST_PROXY, HSTS and the rate limits', () => {
    const d = loadGatewayConfig({});
    expect(d).toMatchObject({
      CORS_ORIGINS: [],
      TRUST_PROXY: false,
      HSTS_MAX_AGE_S: 0,
      RATE_LIMIT_SESSIONS_PER_MIN: 30,
      RATE_LIMIT_AUTH_PER_MIN: 30,
    });
    const c = loadGatewayConfig({
      CORS_ORIGINS: 'https://a.example, http://b.example:8080',
      TRUST_PROXY: '1',
      CSP_CONNECT_SRC: 'wss://ov.example:4443',
    });
    expect(c.CORS_ORIGINS).toEqual(['https://a.example', 'http://b.example:8080']);
    expect(c.TRUST_PROXY).toBe(1);
    expect(c.CSP_CONNECT_SRC).toEqual(['wss://ov.example:4443']);
    expect(loadGatewayConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toBe('loopback, 10.0.0.0/8');
    expect(loadGatewayConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(() => loadGatewayConfig({ CORS_ORIGINS: 'https://a.example/path' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadGatewayConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadGatewayConfig({ CSP_CONNECT_SRC: "* 'unsafe-eval'" })).toThrow(/CSP_CONNECT_SRC/);
  });
});
