import { resolve } from 'node:path';
import { ConfigError } from '@glimpse/platform';
import { loadGatewayConfig } from './config';

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
      PUBLIC_DIR: resolve(__dirname, '..', 'public'),
    });
    expect(cfg.INSTANCE_ID).toMatch(/^gateway-/);
  });

  it('lists every bad variable', () => {
    expect(() => loadGatewayConfig({ PORT: 'eighty', MAX_UPLOAD_BYTES: '-1' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ PORT: 'eighty', MAX_UPLOAD_BYTES: '-1' })).toThrow(/PORT[\s\S]*MAX_UPLOAD_BYTES/);
  });
});
