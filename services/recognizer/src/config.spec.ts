import { hostname } from 'node:os';
import { ConfigError } from '@glimpse/platform';
import { loadRecognizerConfig } from './config';

describe('recognizer config', () => {
  it('has working defaults', () => {
    const cfg = loadRecognizerConfig({});
    expect(cfg).toMatchObject({
      WORKER_URLS: ['http://127.0.0.1:8500'],
      WORKER_TIMEOUT_MS: 30_000,
      DETECTOR: 'blaze',
      TRACKING: true,
      UPSAMPLE: 1,
      JITTERS: 1,
      CONCURRENCY: 4,
      MAX_QUEUE: 16,
      DETECT_MAX_SIDE: 400,
      DETECT_MIN_SCALE: 0.5,
      METRICS_PORT: 0,
      MATCH_TIMEOUT_MS: 5_000,
      WORKER_SPAWN: false,
    });
    expect(cfg.INSTANCE_ID).toBe(`recognizer-${hostname()}-${process.pid}`);
    expect(cfg.WORKER_PYTHON).toBe(`${cfg.WORKER_DIR}/.venv/bin/python`);
    expect(cfg.WORKER_DIR).toMatch(/services\/recognizer\/worker$/);
  });

  it('splits and trims the worker list', () => {
    const cfg = loadRecognizerConfig({
      WORKER_URLS: ' http://a:1/ ,http://b:2,, ',
      INSTANCE_ID: 'r-1',
      WORKER_SPAWN: 'yes',
    });
    expect(cfg.WORKER_URLS).toEqual(['http://a:1', 'http://b:2']);
    expect(cfg.INSTANCE_ID).toBe('r-1');
    expect(cfg.WORKER_SPAWN).toBe(true);
  });

  it('refuses to start on bad values and names every one', () => {
    const bad = {
      WORKER_URLS: 'ftp://a,http://ok:1',
      DETECTOR: 'fast',
      UPSAMPLE: '4',
      JITTERS: '0',
      CONCURRENCY: '0',
      MAX_QUEUE: '-1',
      METRICS_PORT: '70000',
      WORKER_TIMEOUT_MS: 'soon',
      WORKER_SPAWN: 'maybe',
    };
    let err: unknown;
    try {
      loadRecognizerConfig(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    for (const name of [
      'WORKER_URLS.0',
      'DETECTOR',
      'UPSAMPLE',
      'JITTERS',
      'CONCURRENCY',
      'MAX_QUEUE',
      'METRICS_PORT',
      'WORKER_TIMEOUT_MS',
      'WORKER_SPAWN',
    ]) {
      expect(message).toContain(`  ${name}:`);
    }
  });

  it('sizes the frame queue from CONCURRENCY unless MAX_QUEUE says otherwise', () => {
    expect(loadRecognizerConfig({ CONCURRENCY: '3' }).MAX_QUEUE).toBe(12);
    expect(loadRecognizerConfig({ CONCURRENCY: '3', MAX_QUEUE: '0' }).MAX_QUEUE).toBe(0);
    expect(loadRecognizerConfig({ MAX_QUEUE: '5', METRICS_PORT: '9465' })).toMatchObject({
      MAX_QUEUE: 5,
      METRICS_PORT: 9465,
    });
  });

  it('needs at least one worker URL', () => {
    expect(() => loadRecognizerConfig({ WORKER_URLS: ' , ' })).toThrow(/WORKER_URLS: at least one worker URL/);
  });
});
