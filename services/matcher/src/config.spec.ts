import { ConfigError } from '@glimpse/platform';
import { loadMatcherConfig } from './config';

describe('matcher config', () => {
  it('defaults to an embedded PGlite in ./data/pglite with threshold 0.6, k 1, ef_search 100', () => {
    const c = loadMatcherConfig({});
    expect(c).toMatchObject({ DATA_DIR: './data/pglite', THRESHOLD: 0.6, MATCH_K: 1, HNSW_EF_SEARCH: 100 });
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('reads overrides and treats an empty DATABASE_URL as unset', () => {
    const c = loadMatcherConfig({ DATA_DIR: '/var/glimpse', THRESHOLD: '0.45', MATCH_K: '5', HNSW_EF_SEARCH: '40', DATABASE_URL: '' });
    expect(c).toMatchObject({ DATA_DIR: '/var/glimpse', THRESHOLD: 0.45, MATCH_K: 5, HNSW_EF_SEARCH: 40 });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(loadMatcherConfig({ DATABASE_URL: 'postgresql://u:p@db:5432/glimpse' }).DATABASE_URL).toBe('postgresql://u:p@db:5432/glimpse');
  });

  it('lists every bad variable', () => {
    let err: unknown;
    try {
      loadMatcherConfig({ THRESHOLD: '0', MATCH_K: 'x', DATABASE_URL: 'mysql://db' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const v of ['THRESHOLD', 'MATCH_K', 'DATABASE_URL']) expect(msg).toContain(v);
  });

  it('rejects an ef_search smaller than k, which would silently cap the results', () => {
    expect(() => loadMatcherConfig({ MATCH_K: '50', HNSW_EF_SEARCH: '10' })).toThrow(/HNSW_EF_SEARCH: must be at least MATCH_K/);
  });
});
