// Matcher search benchmark: the matcher's own nearest-face SQL (HNSW, m=16, ef_construction=64,
// hnsw.ef_search=400 as shipped, k=1) on realistic clustered encodings, against an exact scan of the same rows.
// Embedded PGlite always; a pgvector server too when given one (npm run bench starts one) or DATABASE_URL is set. Indexes are cached under
// bench/.cache/ so that a second run skips the 1-2 minute 100k build.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from './rng.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'services/matcher/package.json'));
const CACHE = join(ROOT, 'bench/.cache');
const DIM = 128;
// the shipped HNSW_EF_SEARCH (400) unless BENCH_EF_SEARCH lists others (e.g. 100,400 for the trade-off)
const efSearch = () => (process.env.BENCH_EF_SEARCH ?? '400').split(',').map(Number);

/**
 * dlib-like encodings: persons are points ~0.9 apart (different people), each face is its person plus
 * noise ~0.4 away (same person, other photo), 1-9 faces per person. Uniform noise would be a much
 * harder (and unrealistic) case for HNSW.
 */
function encodings(n, seed = 7) {
  const r = rng(seed);
  const personSigma = 0.9 / Math.sqrt(2 * DIM);
  const faceSigma = 0.4 / Math.sqrt(2 * DIM);
  const centers = [];
  const rows = [];
  const personOf = [];
  while (rows.length < n) {
    const c = Array.from({ length: DIM }, () => r.normal() * personSigma);
    centers.push(c);
    const k = 1 + Math.floor(r.next() * 9);
    for (let i = 0; i < k && rows.length < n; i++) {
      rows.push(c.map((v) => v + r.normal() * faceSigma));
      personOf.push(centers.length - 1);
    }
  }
  const queries = Array.from({ length: 200 }, () => {
    const c = centers[Math.floor(r.next() * centers.length)];
    return c.map((v) => v + r.normal() * faceSigma);
  });
  return { rows, queries, persons: centers.length, personOf };
}

const lit = (v) => `[${v.map((x) => x.toFixed(6)).join(',')}]`;
const SCHEMA = `
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS faces (id integer PRIMARY KEY, person_id integer NOT NULL, embedding vector(128) NOT NULL);`;
const NEAREST = `WITH nearest AS (SELECT id, embedding <-> $1::vector AS distance FROM faces ORDER BY embedding <-> $1::vector LIMIT 1)
SELECT id, distance::float8 AS distance FROM nearest ORDER BY distance`;

async function fill(q, rows) {
  for (const stmt of SCHEMA.split(';').filter((x) => x.trim())) await q(stmt);
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await q(
      `INSERT INTO faces (id, person_id, embedding) VALUES ${chunk.map((v, j) => `(${i + j}, 0, '${lit(v)}')`).join(',')}`,
    );
  }
  await q(`SET maintenance_work_mem = '512MB'`);
  await q(
    `CREATE INDEX faces_embedding_hnsw_idx ON faces USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64)`,
  );
}

/**
 * recall@1: the index returns the face an exact scan returns; personRecallAt1: it returns a face of the
 * same person (what decides an identification).
 */
async function measure(queries, tx, personOf, ef) {
  const ms = [];
  let hits = 0;
  let samePerson = 0;
  const exactMs = [];
  for (const v of queries.slice(0, 20)) await tx((run) => run(NEAREST, [lit(v)])); // warm caches and the wasm JIT
  for (const v of queries) {
    const t = performance.now();
    const ann = await tx(async (run) => {
      await run(`SELECT set_config('hnsw.ef_search', '${ef}', true)`);
      return run(NEAREST, [lit(v)]);
    });
    ms.push(performance.now() - t);
    const t2 = performance.now();
    const exact = await tx(async (run) => {
      await run(`SET LOCAL enable_indexscan = off`);
      return run(NEAREST, [lit(v)]);
    });
    exactMs.push(performance.now() - t2);
    if (ann[0]?.id === exact[0]?.id || Math.abs(ann[0]?.distance - exact[0]?.distance) < 1e-9) hits++;
    if (personOf[ann[0]?.id] === personOf[exact[0]?.id]) samePerson++;
  }
  const sorted = [...exactMs].sort((a, b) => a - b);
  return {
    efSearch: ef,
    ms,
    recallAt1: hits / queries.length,
    personRecallAt1: samePerson / queries.length,
    exactP50: +sorted[Math.floor(sorted.length / 2)].toFixed(1),
  };
}

async function pglite(n, log) {
  const { PGlite } = require('@electric-sql/pglite');
  const { vector } = require('@electric-sql/pglite-pgvector');
  const { rows, queries, persons, personOf } = encodings(n);
  const dir = join(CACHE, `pglite-${n}-v1`);
  const ready = existsSync(join(dir, '.complete'));
  if (!ready) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create({ dataDir: dir, extensions: { vector } });
  const q = (sql, params) => db.query(sql, params).then((r) => r.rows);
  let buildS = null;
  if (!ready) {
    log(`matcher: building the ${n}-face PGlite index (cached in ${dir})...`);
    const t = performance.now();
    await fill(q, rows);
    buildS = +((performance.now() - t) / 1000).toFixed(1);
    writeFileSync(join(dir, '.complete'), String(buildS));
  } else buildS = Number(readFileSync(join(dir, '.complete'), 'utf8'));
  const tx = (fn) => db.transaction((t) => fn((sql, params) => t.query(sql, params).then((r) => r.rows)));
  const out = [];
  for (const ef of efSearch())
    out.push({
      store: 'PGlite (embedded)',
      n,
      persons,
      buildS,
      cached: ready,
      ...(await measure(queries, tx, personOf, ef)),
    });
  await db.close();
  return out;
}

async function postgres(n, url, log, label) {
  const pg = require('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const schema = `glimpse_bench_${n}`;
  const q = (sql, params) => client.query(sql, params).then((r) => r.rows);
  try {
    await q(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await q(`SET search_path = ${schema}, public`);
    const have = await q(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename = 'faces'`, [
      schema,
    ]);
    const { rows, queries, persons, personOf } = encodings(n);
    let buildS = null;
    if (!have[0].n || (await q('SELECT count(*)::int AS n FROM faces'))[0].n !== n) {
      log(`matcher: building the ${n}-face index in ${schema} on the Postgres server...`);
      await q(`DROP TABLE IF EXISTS faces`);
      const t = performance.now();
      await fill(q, rows);
      buildS = +((performance.now() - t) / 1000).toFixed(1);
    }
    const tx = async (fn) => {
      await q('BEGIN');
      try {
        return await fn(q);
      } finally {
        await q('COMMIT');
      }
    };
    const out = [];
    for (const ef of efSearch())
      out.push({ store: label, n, persons, buildS, ...(await measure(queries, tx, personOf, ef)) });
    return out;
  } finally {
    await client.end();
  }
}

/** PGlite always; a Postgres server too when `databaseUrl` (or DATABASE_URL) is given. */
export async function benchMatcher(
  sizes,
  log = console.log,
  databaseUrl = process.env.DATABASE_URL,
  serverLabel = 'Postgres (DATABASE_URL)',
) {
  mkdirSync(CACHE, { recursive: true });
  const out = [];
  for (const n of sizes) out.push(...(await pglite(n, log)));
  if (databaseUrl) for (const n of sizes) out.push(...(await postgres(n, databaseUrl, log, serverLabel)));
  else log('matcher: no Postgres server, so no Postgres figures (PGlite only)');
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = (process.argv[2] ?? '1000').split(',').map(Number);
  const res = await benchMatcher(sizes);
  for (const r of res) {
    const s = [...r.ms].sort((a, b) => a - b);
    console.log(
      r.store,
      r.n,
      'ef',
      r.efSearch,
      'person recall',
      r.personRecallAt1,
      'p50',
      s[Math.floor(s.length / 2)].toFixed(2),
      'p95',
      s[Math.floor(s.length * 0.95)].toFixed(2),
      'recall@1',
      r.recallAt1,
      'build s',
      r.buildS,
    );
  }
}
