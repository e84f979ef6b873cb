// Pre-loaded galleries for the headline rows: the matcher's own database (migrated by the matcher's own
// code, PGlite or Postgres) holding `n` faces before the stack starts, so that every recognize call searches,
// locks, inserts and writes events against a gallery of that size. The fastest honest way in: the faces go in
// as multi-row INSERTs with the HNSW index dropped, and the index is then built once with the migration's own
// definition (building it row by row takes ~10x longer). Encodings are clustered like real ones: person
// centres drawn from the per-dimension mean and spread of real dlib encodings (bench/gallery_stats.py on
// distractor photos), 1-9 faces per person ~0.3 from their centre. A PGlite gallery is built once and cached
// under bench/.cache/ (keyed by size and migrations), then copied into each stack's data directory.
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from './rng.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const CACHE = join(ROOT, 'bench/.cache');
const PYTHON = join(ROOT, 'services/recognizer/worker/.venv/bin/python');
const MIGRATIONS = join(ROOT, 'services/matcher/prisma/migrations');
const BATCH = 500;
const quiet = { log() {}, warn() {}, error() {} };

function migrationsHash() {
  const h = createHash('sha256');
  for (const d of readdirSync(MIGRATIONS).sort())
    h.update(d).update(readFileSync(join(MIGRATIONS, d, 'migration.sql')));
  return h.digest('hex').slice(0, 10);
}

/** The HNSW index exactly as the migrations create it. */
function hnswIndexSql() {
  for (const d of readdirSync(MIGRATIONS).sort()) {
    const m = readFileSync(join(MIGRATIONS, d, 'migration.sql'), 'utf8').match(
      /CREATE INDEX faces_embedding_hnsw_idx[^;]*;/,
    );
    if (m) return m[0];
  }
  throw new Error('no faces_embedding_hnsw_idx in the matcher migrations');
}

/** Mean and spread of real encodings (cached: face_recognition on 64 distractor photos, ~10 s). */
function realStats(distractors) {
  const file = join(CACHE, 'encoding-stats.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const photos = readdirSync(distractors)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(0, 64)
    .map((f) => join(distractors, f));
  const stats = JSON.parse(
    execFileSync(PYTHON, [join(ROOT, 'bench/gallery_stats.py'), ...photos], { maxBuffer: 16 << 20 }).toString(),
  );
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(file, JSON.stringify(stats));
  return stats;
}

/** Batches of [persons SQL, faces SQL] for `n` faces. */
function* batches(n, stats) {
  const r = rng(11);
  const spread = Math.sqrt(stats.std.reduce((a, s) => a + s * s, 0));
  const faceScale = 0.3 / spread;
  const crop = "'\\xffd8ffd9'::bytea"; // a stand-in crop: the search path never reads it
  let made = 0;
  let seq = 0;
  while (made < n) {
    const persons = [];
    const faces = [];
    while (faces.length < BATCH && made < n) {
      const id = randomUUID();
      persons.push(`('${id}')`);
      const centre = stats.mean.map((m, d) => m + stats.std[d] * r.normal());
      const k = 1 + Math.floor(r.next() * 9);
      for (let i = 0; i < k && made < n; i++, made++) {
        const v = centre.map((c, d) => (c + stats.std[d] * faceScale * r.normal()).toFixed(6)).join(',');
        faces.push(`('${randomUUID()}','${id}','[${v}]',10,10,120,120,'bench-gallery',${seq++},now(),${crop})`);
      }
    }
    yield [
      `INSERT INTO persons (id) VALUES ${persons.join(',')}`,
      `INSERT INTO faces (id, person_id, embedding, box_x, box_y, box_width, box_height, source, frame_seq, captured_at, crop) VALUES ${faces.join(',')}`,
    ];
  }
}

/** Migrates through the matcher's own code, then loads `n` faces. */
async function load(config, n, stats, log) {
  const { openDatabase } = require('../services/matcher/dist/database/open-database.js');
  const db = await openDatabase(config, quiet);
  try {
    const t = performance.now();
    await db.maintenance('DROP INDEX IF EXISTS faces_embedding_hnsw_idx');
    for (const [persons, faces] of batches(n, stats)) {
      await db.maintenance(persons);
      await db.maintenance(faces);
    }
    const inserted = performance.now();
    await db.maintenance(`SET maintenance_work_mem = '512MB'; ${hnswIndexSql()} ANALYZE;`);
    log(
      `gallery: ${n} faces inserted in ${((inserted - t) / 1000).toFixed(1)} s, HNSW index built in ${((performance.now() - inserted) / 1000).toFixed(1)} s`,
    );
  } finally {
    await db.close();
  }
}

/**
 * A gallery of `n` faces for a stack: `{ pgliteDir }` (copied from the cache into `<dataDir>/pglite`, where
 * startStack's matcher looks) or `{ databaseUrl }` (loaded in place).
 */
export async function preloadGallery({ n, dataDir, databaseUrl, distractors, log }) {
  const stats = realStats(distractors);
  if (databaseUrl) return load({ DATABASE_URL: databaseUrl }, n, stats, log);
  const cached = join(CACHE, `gallery-pglite-${n}-${migrationsHash()}`);
  if (!existsSync(join(cached, '.complete'))) {
    rmSync(cached, { recursive: true, force: true });
    log(`gallery: building a ${n}-face PGlite gallery (cached in ${cached})...`);
    await load({ DATA_DIR: cached }, n, stats, log);
    writeFileSync(join(cached, '.complete'), new Date().toISOString());
  }
  const target = join(dataDir, 'pglite');
  rmSync(target, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  cpSync(cached, target, { recursive: true, filter: (src) => !src.endsWith('.complete') });
}
