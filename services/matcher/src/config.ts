import { hostname } from 'node:os';
import { DEFAULT_THRESHOLD, z } from '@glimpse/contracts';
import { baseEnv, envInt, loadConfig } from '@glimpse/platform';

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);

export const matcherEnv = baseEnv
  .extend({
    /** PGlite data directory, relative to the working directory; unused when DATABASE_URL is set. */
    DATA_DIR: z.string().min(1).default('./data/pglite'),
    /** A Postgres with pgvector instead of the embedded PGlite, e.g. postgres://user:pass@db:5432/glimpse. */
    DATABASE_URL: z.preprocess(
      emptyToUndefined,
      z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL').optional(),
    ),
    /** Euclidean distance below which two encodings are the same person; a request may override it. */
    THRESHOLD: z.coerce.number().gt(0).lt(2).default(DEFAULT_THRESHOLD),
    /** Nearest stored faces fetched per query face; the closest one decides. */
    MATCH_K: envInt(1, 1, 100),
    /** HNSW candidate list size per query (`hnsw.ef_search`): higher is slower and more exact. */
    HNSW_EF_SEARCH: envInt(100, 1, 1000),
  })
  // pgvector's HNSW scan returns at most ef_search rows, so a smaller value would silently cap k.
  .refine((c) => c.HNSW_EF_SEARCH >= c.MATCH_K, {
    path: ['HNSW_EF_SEARCH'],
    message: 'must be at least MATCH_K',
  });

export type MatcherConfig = z.infer<typeof matcherEnv>;

export const MATCHER_CONFIG = Symbol('MatcherConfig');

export const loadMatcherConfig = (env: NodeJS.ProcessEnv = process.env): MatcherConfig => loadConfig(matcherEnv, env);

export const instanceIdOf = (config: MatcherConfig): string =>
  config.INSTANCE_ID ?? `matcher-${hostname()}-${process.pid}`;
