import { hostname } from 'node:os';
import { DEFAULT_THRESHOLD, z } from '@glimpse/contracts';
import {
  assertProductionSecret,
  baseEnv,
  ConfigError,
  databasePassword,
  envBool,
  envInt,
  envNumber,
  isKnownDefaultSecret,
  loadConfig,
} from '@glimpse/platform';
import { parseCropKeys } from './crops/crop-keys';

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);

export const matcherEnv = baseEnv
  .extend({
    /** PGlite data directory, relative to the working directory; unused when DATABASE_URL is set. */
    DATA_DIR: z.string().min(1).default('./data/pglite'),
    /** A Postgres with pgvector instead of the embedded PGlite, e.g. postgres://user:pass@db:5432/glimpse. */
    DATABASE_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL')
        .optional(),
    ),
    /**
     * How a face is matched (docs/identity.md). `person` (default): each face against the centroids of
     * candidate persons, a ratio test against the next person, a threshold that tightens as the gallery
     * grows, and a quality gate on starting persons. `nearest`: the original demo's rule, the single
     * nearest stored face within THRESHOLD. Either way a frame's faces go to different persons.
     */
    MATCH_RULE: z.enum(['person', 'nearest']).default('person'),
    /**
     * `remember` (default): every face seen becomes (or joins) a person. `watchlist`: only enrolled, named
     * persons are matched; a face that matches none is answered `unknown` and nothing about it is kept
     * (no person, face, encoding, crop or event; docs/privacy.md).
     */
    RECOGNITION_MODE: z.enum(['remember', 'watchlist']).default('remember'),
    /**
     * Blur bystanders in the crops it stores (docs/privacy.md): every face of the frame that is not a match
     * with an enrolled, named person is made unrecognizable, the crop's own face included when it is not.
     */
    BLUR_UNKNOWN: envBool(false),
    /** `nearest` rule: Euclidean distance below which two encodings are the same person; a request may override it. */
    THRESHOLD: z.coerce.number().gt(0).lt(2).default(DEFAULT_THRESHOLD),
    /** Nearest stored faces fetched per query face; their persons are the candidates. */
    MATCH_K: envInt(64, 1, 1000),
    /** At most this many candidate persons per face (closest first). */
    MATCH_CANDIDATES: envInt(8, 1, 100),
    /** `person` rule: a person's distance is to the centroid (mean) of their this-many most recent faces. */
    MATCH_PERSON_FACES: envInt(50, 1, 1000),
    /** `person` rule: the accepted person distance while the gallery holds up to MATCH_REFERENCE_PERSONS persons. */
    MATCH_DISTANCE: envNumber(0.56, 0.05, 1.5),
    /** `person` rule: how much MATCH_DISTANCE shrinks per tenfold growth of the gallery beyond the reference. */
    MATCH_DISTANCE_SLOPE: envNumber(0.02, 0, 0.5),
    MATCH_REFERENCE_PERSONS: envInt(50, 1, 10_000_000),
    /** `person` rule: the best person's distance must be at most this times the next person's (1: no margin). */
    MATCH_RATIO: envNumber(0.92, 0.1, 1),
    /**
     * `person` rule: a face within the accepted distance of a person but not clearly closer to them than to
     * the next person (MATCH_RATIO) is a new person (`new`: a look-alike is not merged; people can merge
     * persons later) or `unsure` (nothing stored).
     */
    MATCH_AMBIGUOUS: z.enum(['new', 'unsure']).default('new'),
    /** `person` rule: a face within this much beyond the accepted distance is `unsure` instead of a new person. */
    MATCH_UNSURE_BAND: envNumber(0, 0, 1),
    /** `person` rule: faces narrower than this (pixels) may match but never start a person or join the gallery. */
    MATCH_MIN_FACE_PX: envInt(40, 1, 10_000),
    /** `person` rule: ...nor faces blurrier than this (variance of the Laplacian; see faceQualitySchema). */
    MATCH_MIN_SHARPNESS: envNumber(5, 0, 1e9),
    /** `person` rule: ...nor faces turned further than this (|yaw| from the landmarks; 0.4 is about 50 degrees). */
    MATCH_MAX_YAW: envNumber(0.4, 0, 5),
    /**
     * Live video: decide a stream's faces by their worker track (the same face over several snapshots) as
     * a whole: the pooled faces are compared, a track keeps its person, never starts two (docs/identity.md).
     * false: every snapshot on its own.
     */
    MATCH_TRACKS: envBool(true),
    /** How many of a track's latest faces are pooled. */
    MATCH_TRACK_FACES: envInt(10, 1, 100),
    /** A track without a face for this long ends (its next face is decided afresh). */
    MATCH_TRACK_IDLE_MS: envInt(10_000, 100, 3_600_000),
    /** HNSW candidate list size per query (`hnsw.ef_search`): higher is slower and more exact. */
    // 400 keeps recall@1 >= 0.99 at 100k clustered faces (bench: 11.7 ms p95); 100 gave 0.95.
    HNSW_EF_SEARCH: envInt(400, 1, 1000),

    /** A person unseen in a stream for this long ends their sighting there. */
    SIGHTING_QUIET_MS: envInt(10_000, 100, 86_400_000),
    /** At most one `sighting.updated` per sighting this often (0: one per frame). */
    SIGHTING_UPDATE_THROTTLE_MS: envInt(5_000, 0, 86_400_000),
    /** How often quiet sightings are ended. */
    SIGHTING_SWEEP_INTERVAL_MS: envInt(1_000, 50, 60_000),
    /**
     * Which faces of stream frames are stored: `best` keeps a new person's first face and each face that
     * improves its sighting's best crop (a few per sighting); `all` keeps every frame's face.
     * Uploads and enrollments are always stored.
     */
    STORE_STREAM_FACES: z.enum(['all', 'best']).default('best'),
    /** Enrollment refuses faces narrower than this many pixels. */
    ENROLL_MIN_FACE_PX: envInt(60, 1, 10_000),
    /** Enrollment refuses faces blurrier than this (variance of the Laplacian; see faceQualitySchema). */
    // Measured on the LFW fixtures: sharp faces 6–260 (median 56), a 2 px Gaussian blur 1.9–8.9.
    ENROLL_MIN_SHARPNESS: envNumber(10, 0, 1e9),

    /** GLIMPSE_EVENTS keeps events this many days (0: forever). */
    EVENTS_MAX_AGE_DAYS: envNumber(30, 0, 36_500),
    /** How long one JetStream publish waits for its acknowledgement. */
    EVENTS_PUBLISH_TIMEOUT_MS: envInt(5_000, 100, 120_000),
    /** How often the relay looks for events it was not told about (other instances, retries). */
    EVENTS_RELAY_INTERVAL_MS: envInt(1_000, 20, 60_000),

    /** Delete unnamed persons not seen for this many days (0: never). */
    RETENTION_UNNAMED_DAYS: envNumber(0, 0, 36_500),
    /** How often the retention job runs (it also runs at start-up). */
    RETENTION_INTERVAL_MS: envInt(86_400_000, 1_000, 2_147_483_647),
    /** The audit trail (who read or wrote face data) keeps records this many days (0: forever; at least 1 otherwise). */
    AUDIT_RETENTION_DAYS: envNumber(180, 0, 36_500).refine(
      (d) => d === 0 || d >= 1,
      'must be 0 (forever) or at least 1',
    ),

    /**
     * After a person is deleted, rewrite the tables that held their data (VACUUM FULL) and retire the
     * write-ahead log, so their face data is gone from the files on disk too, not only from queries.
     */
    ERASURE_COMPACT: envBool(true),
    /** Deletions within this window share one compaction. */
    ERASURE_COMPACT_DELAY_MS: envInt(10_000, 0, 86_400_000),

    /** Serve Prometheus metrics on this port at /metrics; 0 (default) serves none. */
    METRICS_PORT: envInt(0, 0, 65535),

    /**
     * AES-256 keys for face crops at rest (64 hex digits or base64 each; src/crops/crop-keys.ts), or
     * CROP_KEY_FILE. The first seals new crops, later ones only open older crops (key rotation).
     * Required in production; without it (development) crops are stored in plaintext.
     */
    CROP_KEY: z.preprocess(emptyToUndefined, z.string().optional()),
  })
  .superRefine((c, ctx) => {
    try {
      parseCropKeys(c.CROP_KEY);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['CROP_KEY'], message: (err as Error).message });
    }
  })
  // pgvector's HNSW scan returns at most ef_search rows, so a smaller value would silently cap k.
  .refine((c) => c.HNSW_EF_SEARCH >= c.MATCH_K, {
    path: ['HNSW_EF_SEARCH'],
    message: 'must be at least MATCH_K',
  });

export type MatcherConfig = z.infer<typeof matcherEnv>;

export const MATCHER_CONFIG = Symbol('MatcherConfig');

export function loadMatcherConfig(env: NodeJS.ProcessEnv = process.env): MatcherConfig {
  const cfg = loadConfig(matcherEnv, env);
  // production refuses a Postgres reachable with a well-known password (or none)
  if (cfg.NODE_ENV === 'production' && cfg.DATABASE_URL && isKnownDefaultSecret(databasePassword(cfg.DATABASE_URL))) {
    throw new ConfigError(
      'DATABASE_URL has no password or a well-known one (glimpse, postgres, password, changeme…): NODE_ENV=production needs a random one',
    );
  }
  // a copied data folder or backup must not show faces: production never stores crops in plaintext
  assertProductionSecret(cfg.NODE_ENV, 'CROP_KEY', cfg.CROP_KEY, 'e.g. openssl rand -hex 32');
  return cfg;
}

export const instanceIdOf = (config: MatcherConfig): string =>
  config.INSTANCE_ID ?? `matcher-${hostname()}-${process.pid}`;
