import { ConfigError } from '@glimpse/platform';
import { loadMatcherConfig } from './config';

describe('matcher config', () => {
  it('defaults to an embedded PGlite in ./data/pglite with threshold 0.6, k 1, ef_search 400', () => {
    const c = loadMatcherConfig({});
    expect(c).toMatchObject({ DATA_DIR: './data/pglite', THRESHOLD: 0.6, MATCH_K: 64, HNSW_EF_SEARCH: 400 });
    expect(c).toMatchObject({
      MATCH_RULE: 'person',
      MATCH_DISTANCE: 0.56,
      MATCH_DISTANCE_SLOPE: 0.02,
      MATCH_RATIO: 0.92,
      MATCH_AMBIGUOUS: 'new',
    });
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('defaults sightings, stored stream faces, enrollment quality, events, retention and erasure', () => {
    expect(loadMatcherConfig({})).toMatchObject({
      SIGHTING_QUIET_MS: 10_000,
      SIGHTING_UPDATE_THROTTLE_MS: 5_000,
      SIGHTING_SWEEP_INTERVAL_MS: 1_000,
      STORE_STREAM_FACES: 'best',
      ENROLL_MIN_FACE_PX: 60,
      ENROLL_MIN_SHARPNESS: 10,
      EVENTS_MAX_AGE_DAYS: 30,
      EVENTS_PUBLISH_TIMEOUT_MS: 5_000,
      RETENTION_UNNAMED_DAYS: 0,
      ERASURE_COMPACT: true,
      ERASURE_COMPACT_DELAY_MS: 10_000,
    });
    expect(
      loadMatcherConfig({ STORE_STREAM_FACES: 'all', RETENTION_UNNAMED_DAYS: '14', ERASURE_COMPACT: 'false' }),
    ).toMatchObject({
      STORE_STREAM_FACES: 'all',
      RETENTION_UNNAMED_DAYS: 14,
      ERASURE_COMPACT: false,
    });
    expect(() => loadMatcherConfig({ STORE_STREAM_FACES: 'some', SIGHTING_QUIET_MS: '5' })).toThrow(
      /STORE_STREAM_FACES[\s\S]*SIGHTING_QUIET_MS|SIGHTING_QUIET_MS[\s\S]*STORE_STREAM_FACES/,
    );
  });

  it('reads overrides and treats an empty DATABASE_URL as unset', () => {
    const c = loadMatcherConfig({
      DATA_DIR: '/var/glimpse',
      THRESHOLD: '0.45',
      MATCH_K: '5',
      HNSW_EF_SEARCH: '40',
      DATABASE_URL: '',
    });
    expect(c).toMatchObject({ DATA_DIR: '/var/glimpse', THRESHOLD: 0.45, MATCH_K: 5, HNSW_EF_SEARCH: 40 });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(loadMatcherConfig({ DATABASE_URL: 'postgresql://u:p@db:5432/glimpse' }).DATABASE_URL).toBe(
      'postgresql://u:p@db:5432/glimpse',
    );
  });

  it('lists every bad variable', () => {
    let err: unknown;
    try {
      loadMatcherConfig({
        THRESHOLD: '0',
        MATCH_K: 'x',
        DATABASE_URL: 'mysql://db',
        MATCH_RULE: 'closest',
        MATCH_RATIO: '1.5',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const v of ['THRESHOLD', 'MATCH_K', 'DATABASE_URL', 'MATCH_RULE', 'MATCH_RATIO']) expect(msg).toContain(v);
  });

  it('rejects an ef_search smaller than k, which would silently cap the results', () => {
    expect(() => loadMatcherConfig({ MATCH_K: '50', HNSW_EF_SEARCH: '10' })).toThrow(
      /HNSW_EF_SEARCH: must be at least MATCH_K/,
    );
  });

  it('refuses a Postgres URL with no or a well-known password in production only', () => {
    for (const url of [
      'postgres://glimpse:glimpse@db/glimpse',
      'postgres://postgres:postgres@db/glimpse',
      'postgres://glimpse@db/glimpse',
      'postgres://glimpse:changeme@db/glimpse',
    ]) {
      expect(() => loadMatcherConfig({ NODE_ENV: 'production', DATABASE_URL: url })).toThrow(
        /DATABASE_URL has no password or a well-known one/,
      );
      expect(loadMatcherConfig({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    }
    const CROP_KEY = '5e'.repeat(16) + '0a'.repeat(16);
    expect(
      loadMatcherConfig({
        NODE_ENV: 'production',
        CROP_KEY,
        DATABASE_URL: 'postgres://glimpse:Qm4v9wT2zK7x@db/glimpse',
      }).DATABASE_URL,
    ).toMatch(/Qm4v/);
  });
});
