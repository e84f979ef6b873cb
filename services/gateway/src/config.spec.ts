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

  it('serves the built React client when there is one, else public/', () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
    const root = mkdtempSync(resolve(require('node:os').tmpdir(), 'gw-'));
    expect(defaultPublicDir(root)).toBe(resolve(root, 'public'));
    mkdirSync(resolve(root, 'web', 'dist'), { recursive: true });
    writeFileSync(resolve(root, 'web', 'dist', 'index.html'), '<!doctype html>');
    expect(defaultPublicDir(root)).toBe(resolve(root, 'web', 'dist'));
    expect(loadGatewayConfig({ PUBLIC_DIR: 'x/y' }).PUBLIC_DIR).toBe(resolve('x/y'));
  });

  it('wants a session secret of at least 32 characters', () => {
    expect(() => loadGatewayConfig({ SESSION_SECRET: 'short' })).toThrow(/SESSION_SECRET/);
    expect(loadGatewayConfig({ SESSION_SECRET: 'x'.repeat(32) }).SESSION_SECRET).toHaveLength(32);
  });

  it('refuses to start in production without a real session secret', () => {
    expect(() => loadGatewayConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ NODE_ENV: 'production', SESSION_SECRET: 'change-me-change-me-change-me-1234' })).toThrow(/SESSION_SECRET/);
    expect(loadGatewayConfig({ NODE_ENV: 'production', SESSION_SECRET: '3b9f0c2e7a1d4e6f8a0b2c4d6e8f0a1b' }).NODE_ENV).toBe('production');
  });

  it('takes an admin key of at least 32 characters', () => {
    expect(() => loadGatewayConfig({ ADMIN_API_KEY: 'short' })).toThrow(/ADMIN_API_KEY/);
    expect(loadGatewayConfig({ ADMIN_API_KEY: 'a'.repeat(32) }).ADMIN_API_KEY).toHaveLength(32);
    expect(loadGatewayConfig({ ADMIN_API_KEY: '' }).ADMIN_API_KEY).toBeUndefined();
  });
});
