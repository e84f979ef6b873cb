// Cross-host recognition latency next to single-host, measured the same way: POST /api/v1/recognize?store=false
// with one-face fixture photos, one request at a time, BENCH_N (100) requests per layout after 4 warm-ups, the
// layouts up side by side and taking turns request by request.
//   cross-host: infra/cluster/hosts.sh (network namespaces; gateway on host a, recognizer + worker on b,
//               matcher + Postgres on d, NATS nodes on a, b, d), called from this machine over the bridge.
//   single-host: infra/scripts/stack.js as `npm start` runs it (one private nats-server), on loopback: once on
//               a Postgres server (bench/pg.mjs, like host d's), once on the default PGlite.
// Needs root and `ip netns` for the first; prints a table and writes bench/results/multihost.json.
// Run: node bench/multihost.mjs   (env BENCH_N, GLIMPSE_FIXTURES)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stats } from './drive.mjs';
import { postgresUnavailable, startPostgres } from './pg.mjs';

const require = createRequire(import.meta.url);
const { startStack, freePort, ROOT } = require('../infra/scripts/stack.js');
const N = Number(process.env.BENCH_N ?? 100);
const FIXTURES = process.env.GLIMPSE_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures', 'faces');

function onefacePhotos() {
  const [header, ...rows] = readFileSync(join(FIXTURES, 'MANIFEST.tsv'), 'utf8').trim().split('\n');
  const cols = header.split('\t');
  const [path, faces] = [cols.indexOf('relative_path'), cols.indexOf('faces_expected')];
  return rows
    .map((r) => r.split('\t'))
    .filter((c) => c[faces] === '1')
    .slice(0, 8)
    .map((c) => readFileSync(join(FIXTURES, c[path])));
}

/** One sequential request; its latency in ms. */
async function recognizeMs(base, key, body) {
  const t = performance.now();
  const res = await fetch(`${base}/api/v1/recognize?store=false`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${key}` },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  if (res.status !== 200) throw new Error(`recognize ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
  return performance.now() - t;
}

/** hosts.sh's layout with a, b and d up; `stop()` takes it down. */
async function crossHost() {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-bench-hosts-'));
  const env = { ...process.env, HOSTS_PREFIX: 'glimpse-bn', HOSTS_SUBNET: '10.77.2', HOSTS_DIR: dir, PORT: '3000' };
  const hosts = (...args) =>
    execFileSync('bash', [join(ROOT, 'infra/cluster/hosts.sh'), ...args], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 300_000,
    });
  const stop = async () => {
    hosts('down');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    hosts('up', 'a', 'b', 'd');
    return { base: 'http://10.77.2.1:3000', key: readFileSync(join(dir, 'admin-api-key'), 'utf8').trim(), stop };
  } catch (err) {
    await stop().catch(() => undefined); // hosts.sh cleans up a failed start itself; this covers a crash of it
    throw err;
  }
}

async function singleHost(databaseUrl) {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-bench-single-'));
  const env = databaseUrl ? { DATABASE_URL: databaseUrl } : {};
  // A private nats-server, so no other recognizer on this machine joins in.
  const stack = await startStack({
    port: 0,
    natsUrl: `nats://127.0.0.1:${await freePort()}`,
    dataDir: dir,
    env,
    logSink: { write() {} },
  });
  const stop = async () => {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { base: `http://127.0.0.1:${stack.port}`, key: stack.apiKey, stop };
}

async function singleHostPostgres() {
  const pg = await startPostgres({ freePort });
  const stack = await singleHost(await pg.createDatabase('glimpse_multihost')).catch(async (err) => {
    await pg.stop();
    throw err;
  });
  return { ...stack, stop: async () => (await stack.stop(), await pg.stop()) };
}

if (!existsSync(join(FIXTURES, 'MANIFEST.tsv')))
  throw new Error(`no fixture faces at ${FIXTURES} (set GLIMPSE_FIXTURES)`);
const photos = onefacePhotos();
const layouts = [];
try {
  if (process.getuid?.() === 0)
    layouts.push({
      layout: 'cross-host (namespaces a/b/d: gateway, recognizer, matcher + Postgres; 3 NATS nodes)',
      ...(await crossHost()),
    });
  else console.warn('*** SKIPPING the cross-host row: network namespaces need root ***');
  const noPg = postgresUnavailable();
  if (noPg) console.warn(`*** SKIPPING the single-host Postgres row: ${noPg} ***`);
  else layouts.push({ layout: 'single host, Postgres (one nats-server, loopback)', ...(await singleHostPostgres()) });
  layouts.push({ layout: 'single host, PGlite (npm start as shipped)', ...(await singleHost()) });
  // All up at once and taking turns request by request, so this machine's drifts fall on every layout alike.
  for (const l of layouts) for (let i = 0; i < 4; i++) await recognizeMs(l.base, l.key, photos[i % photos.length]);
  for (const l of layouts) l.lat = [];
  for (let i = 0; i < N; i++)
    for (const l of layouts) l.lat.push(await recognizeMs(l.base, l.key, photos[i % photos.length]));
} finally {
  for (const l of layouts) await l.stop();
}

const rows = layouts.map((l) => ({ layout: l.layout, ...stats(l.lat) }));
console.log(
  `\nPOST /api/v1/recognize?store=false, one-face 250x250 photos, 1 in flight, ${N} requests per layout, layouts taking turns (ms)\n`,
);
console.log('| layout | n | p50 | p95 | mean |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.layout} | ${r.n} | ${r.p50} | ${r.p95} | ${r.mean} |`);
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(ROOT, 'bench', 'results', 'multihost.json'),
  JSON.stringify({ at: new Date().toISOString(), n: N, rows }, null, 2) + '\n',
);
