#!/usr/bin/env node
// `npm run bench`: one run, the same frames for every figure; prints tables and writes JSON under
// bench/results/. BENCH_QUICK=1 is a smoke run (< 2 min) with fewer frames and settings.
// Compares face_recognition called directly (the baseline peer) with the Glimpse recognizer under
// several settings, checks identification accuracy on the fixture faces for each detector setting,
// and measures the matcher's nearest-face search. Figures only: nothing here asserts a timing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchMatcher } from './matcher.mjs';
import { benchLive, liveTable } from './live.mjs';
import { drive, r1, stats } from './drive.mjs';
import { benchScaling, scalingLines, ONE_INSTANCE, TWO_INSTANCES } from './scaling.mjs';
import { benchIdentity } from './identity.mjs';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sharp = require('sharp');
const { startStack, freePort } = require('../infra/scripts/stack.js');
const QUICK = process.env.BENCH_QUICK === '1';
const N = Number(process.env.BENCH_N ?? (QUICK ? 8 : 24));
// The instance-scaling figure compares two rates: each round measures ~5-10 s so that noise stays small.
const SCALING_N = Number(process.env.BENCH_SCALING_N ?? (QUICK ? 48 : 300));
const SCALING_ROUNDS = QUICK ? 1 : Number(process.env.BENCH_SCALING_ROUNDS ?? 5);
const PYTHON = join(ROOT, 'services/recognizer/worker/.venv/bin/python');
const fixtures = resolve(process.env.GLIMPSE_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures', 'faces'));
const log = (m) => process.stderr.write(`bench: ${m}\n`);

const KINDS = [
  { name: '640x480, 1 face', w: 640, h: 480, faces: 1 },
  { name: '640x480, 4 faces', w: 640, h: 480, faces: 4 },
  { name: '1280x720, 1 face', w: 1280, h: 720, faces: 1 },
  { name: '1280x720, 4 faces', w: 1280, h: 720, faces: 4 },
];

/** Fixture photos on a grey frame as a camera would frame them: one face of ~120 px, or four in a row/grid. */
async function makeFrames(dir) {
  const people = readdirSync(fixtures, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const photo = (i) => join(fixtures, people[i % people.length], readdirSync(join(fixtures, people[i % people.length])).sort()[0]);
  const out = {};
  for (const k of KINDS) {
    out[k.name] = [];
    for (let f = 0; f < 8; f++) {
      const side = k.faces === 1 ? 300 : k.w === 640 ? 220 : 300;
      const cols = k.faces === 1 ? 1 : k.w === 640 ? 2 : 4;
      const rows = Math.ceil(k.faces / cols);
      const composite = [];
      for (let i = 0; i < k.faces; i++) {
        const left = Math.round((k.w - cols * side) / 2) + (i % cols) * side;
        const top = Math.round((k.h - rows * side) / 2) + Math.floor(i / cols) * side;
        composite.push({ input: await sharp(photo(f * 4 + i)).resize(side, side).toBuffer(), left, top });
      }
      const jpeg = await sharp({ create: { width: k.w, height: k.h, channels: 3, background: '#777' } }).composite(composite).jpeg({ quality: 90 }).toBuffer();
      const path = join(dir, `${k.w}x${k.h}-${k.faces}-${f}.jpg`);
      writeFileSync(path, jpeg);
      out[k.name].push({ path, jpeg });
    }
  }
  // a "video" per stream: one person drifting a few pixels per snapshot, as a seated person does
  out.video = [];
  for (let v = 0; v < 4; v++) {
    const face = await sharp(photo(v * 3)).resize(300, 300).toBuffer();
    const clip = [];
    for (let f = 0; f < 12; f++) {
      const dx = 3 * (f < 6 ? f : 12 - f);
      const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#777' } }).composite([{ input: face, left: 170 + dx, top: 90 + (dx >> 1) }]).jpeg({ quality: 90 }).toBuffer();
      clip.push({ jpeg });
    }
    out.video.push(clip);
  }
  return out;
}

/**
 * face_recognition runs on either dlib build: the prebuilt dlib-bin (no BLAS, but its HOG is ~2x faster
 * than a GCC 12 source build's) or dlib compiled against OpenBLAS (what setup.sh installs: ~4x faster
 * encoding). The baseline is whichever serves face_recognition's pipeline faster. The dlib-bin copy goes
 * into bench/.dlib-bin and is put first on PYTHONPATH, so the venv itself is untouched.
 */
function dlibBinPath() {
  const dir = join(ROOT, 'bench', '.dlib-bin');
  const req = join(ROOT, 'services/recognizer/worker/requirements-dlib-bin.txt');
  if (!existsSync(dir)) {
    log('installing dlib-bin into bench/.dlib-bin for the baseline');
    execFileSync(PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', dir, '-r', req], { stdio: 'inherit' });
  }
  return dir;
}

/** The baseline on every dlib build; the faster one is the baseline, both are reported. */
function baselineOf(frames) {
  const paths = frames.map((f) => f.path);
  const builds = {};
  for (const [name, env] of [['venv', {}], ['dlib-bin', { PYTHONPATH: dlibBinPath() }]]) {
    const b = python('baseline.py', [String(Math.min(N, 16)), ...paths], env);
    const faces = b.faces.reduce((a, x) => a + x, 0);
    const s = b.ms.reduce((a, x) => a + x, 0) / 1000;
    const build = b.dlib.blas ? 'dlib with OpenBLAS' : 'dlib-bin';
    builds[build] = { ...stats(b.ms), framesPerS: r1(b.ms.length / s), facesPerS: r1(faces / s), encodeMsPerFace: r1(b.encodeMsPerFace), build };
    if (name === 'venv' && !b.dlib.blas) break; // the venv has dlib-bin already
  }
  const best = Object.values(builds).sort((a, b) => b.framesPerS - a.framesPerS)[0];
  return { ...best, builds };
}

function python(script, args, env = {}) {
  return JSON.parse(execFileSync(PYTHON, [join(ROOT, 'bench', script), ...args], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 }).toString());
}

/** The admin API key of the stack being measured (/api/v1 needs one). */
let currentKey;

async function recognize(url, body, key = currentKey) {
  const t = performance.now();
  const r = await fetch(`${url}/api/v1/recognize?store=false`, { method: 'POST', headers: { 'content-type': 'image/jpeg', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body });
  if (!r.ok) throw new Error(`recognize ${r.status}: ${await r.text()}`);
  const faces = (await r.json()).faces.length;
  return { ms: performance.now() - t, faces };
}

/** POST /api/v1/recognize, `inflight` requests outstanding. */
async function throughput(url, frames, total, inflight) {
  const { trackedRatio, ...out } = await drive(inflight, total, (i) => recognize(url, frames[i % frames.length].jpeg));
  return out;
}

/** A NATS connection for the duration of `fn`. */
async function withBus(natsUrl, fn) {
  const { Bus } = require('../libs/platform/dist');
  const bus = await Bus.connect({ servers: natsUrl, name: 'bench', logger: { log() {}, warn() {}, error() {} } });
  try {
    return await fn(bus);
  } finally {
    await bus.close();
  }
}

/**
 * Video streams as capture sends them: each stream's consecutive snapshots (one face moving a little),
 * one frame in flight per stream, straight over NATS as FrameRecognize (uploads are never tracked).
 */
async function streamThroughput(natsUrl, videos, streams, total) {
  const { FrameRecognize } = require('../libs/contracts/dist');
  const seqs = Array(streams).fill(0);
  return withBus(natsUrl, (bus) =>
    drive(streams, total, async (_, s) => {
      const video = videos[s % videos.length];
      const seq = seqs[s]++;
      const reply = await bus.requestBinary(FrameRecognize.contract, video[seq % video.length].jpeg, {
        'Glimpse-Source': `s_bench${s}`,
        'Glimpse-Seq': String(seq),
        'Glimpse-Captured-At': new Date().toISOString(),
        'Glimpse-Store': 'false',
        'Content-Type': 'image/jpeg',
      }, 30_000);
      return { faces: reply.faces.length, tracked: reply.timings.trackedFaces ?? 0 };
    }),
  );
}

/** Glimpse configurations, each its own stack (private nats-server, so no other recognizer joins in). */
const CONFIGS = [
  { id: 'fr-settings', label: 'Glimpse with face_recognition settings (HOG on the full frame, 1 process, 1 instance)', recognizers: 1, workerEnv: { GLIMPSE_WORKER_PROCESSES: '1' }, env: { DETECTOR: 'hog', DETECT_MAX_SIDE: '0', CONCURRENCY: '1' }, kinds: ['640x480, 1 face'], full: true },
  { id: 'hog-fast', label: 'HOG on a 400 px copy, 1 worker process, 1 instance', recognizers: 1, workerEnv: { GLIMPSE_WORKER_PROCESSES: '1' }, env: { DETECTOR: 'hog', CONCURRENCY: '1' }, kinds: ['640x480, 1 face'], full: true },
  { id: 'blaze-1proc', ...ONE_INSTANCE, kinds: ['640x480, 1 face'], latency: true },
  { id: 'blaze-2inst', ...TWO_INSTANCES, kinds: ['640x480, 1 face'], full: true },
  { id: 'defaults', label: 'defaults (BlazeFace, a worker process per core, 1 instance, CONCURRENCY 4)', recognizers: 1, workerEnv: {}, env: {}, kinds: KINDS.map((k) => k.name), latency: true, stream: true },
];

async function benchStack(cfg, frames, tmp) {
  const natsUrl = `nats://127.0.0.1:${await freePort()}`;
  const stack = await startStack({ port: 0, natsUrl, recognizers: cfg.recognizers, env: cfg.env, workerEnv: cfg.workerEnv, dataDir: join(tmp, `data-${cfg.id}`), logSink: { write() {} } });
  currentKey = stack.apiKey;
  try {
    const out = { label: cfg.label, throughput: {} };
    for (let i = 0; i < 4; i++) await recognize(stack.url, frames['640x480, 1 face'][i].jpeg); // warm every process
    if (cfg.latency) {
      const lat = [];
      for (let i = 0; i < N; i++) lat.push((await recognize(stack.url, frames['640x480, 1 face'][i % 8].jpeg)).ms);
      out.latency = stats(lat);
    }
    for (const kind of cfg.kinds) {
      const kindFrames = frames[kind];
      out.throughput[kind] = await throughput(stack.url, kindFrames, N, 4);
      log(`${cfg.id} ${kind}: ${JSON.stringify(out.throughput[kind])}`);
    }
    if (cfg.stream) {
      out.stream = await streamThroughput(natsUrl, frames.video, 4, N * 2);
      log(`${cfg.id} stream: ${JSON.stringify(out.stream)}`);
    }
    return out;
  } finally {
    await stack.stop();
  }
}

function table(head, rows) {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'glimpse-bench-'));
  const started = Date.now();
  const frames = await makeFrames(tmp);
  const kinds = QUICK ? ['640x480, 1 face'] : KINDS.map((k) => k.name);
  log(`${QUICK ? 'QUICK ' : ''}run: ${N} frames per figure, ${cpus().length} CPUs (${cpus()[0]?.model})`);

  // 1. The baseline peer, on the same frames.
  const baseline = {};
  for (const kind of kinds) {
    baseline[kind] = baselineOf(frames[kind]);
    log(`baseline ${kind}: ${JSON.stringify(baseline[kind])}`);
  }

  // 2. Accuracy guard: baseline and each detector setting on the fixture faces.
  const accuracy = [];
  const accSettings = QUICK
    ? { '640x480': ['baseline', 'blaze'] }
    : { '640x480': ['baseline', 'blaze', '0:1', '400:1:0.5', '320:1'], '1280x720': ['baseline', 'blaze', '400:1:0.5'], photo: ['baseline', 'blaze'] };
  for (const [frame, settings] of Object.entries(accSettings)) {
    log(`accuracy on ${frame} frames: ${settings.join(', ')} (each ~30-90 s)`);
    const a = python('accuracy.py', [frame, ...settings], QUICK ? { ACCURACY_LIMIT: '60' } : {});
    for (const r of a.results) accuracy.push({ frame, photos: a.photos, ...r });
  }

  // 3. Glimpse itself.
  const glimpse = {};
  for (const cfg of CONFIGS) {
    if (QUICK && cfg.full) continue;
    const c = QUICK ? { ...cfg, kinds: cfg.kinds.filter((k) => kinds.includes(k)) } : cfg;
    log(`stack: ${cfg.label}`);
    glimpse[cfg.id] = await benchStack(c, frames, tmp);
  }

  // 4. Recognizer instance scaling, one and two instances taking turns.
  const scaling = await benchScaling({ frames: frames['640x480, 1 face'], rounds: SCALING_ROUNDS, perInstance: SCALING_N, dir: tmp, log });

  // 5. Matcher search.
  const matcher = (await benchMatcher(QUICK ? [1000] : [1000, 10000, 100000], log)).map(({ ms, ...r }) => ({ ...stats(ms), ...r, queries: ms.length }));

  // 6. Live camera: headless Chromium publishing over WHIP to the stack with shipped defaults.
  const live = await benchLiveStack(QUICK ? [1] : [1, 4], tmp);

  // 7. "Seen before?" as the gallery grows (its own JSON: bench/results/identity.json).
  const identity = QUICK ? null : await benchIdentity({ log: (m) => log(`identity: ${m}`) });

  // Tables.
  const k1 = '640x480, 1 face';
  const base1 = baseline[k1];
  const lines = [];
  lines.push(`Machine: ${cpus()[0]?.model}, ${cpus().length} cores; ${N} frames per figure; ${new Date().toISOString().slice(0, 10)}${QUICK ? ' (BENCH_QUICK)' : ''}`);
  lines.push('\nBaseline: face_recognition called directly, one call at a time, on each dlib build; the faster is the baseline\n');
  lines.push(table(['frames', 'dlib build', 'frames/s', 'p50 ms', 'p95 ms', 'encode ms per face', 'baseline'], kinds.flatMap((kind) =>
    Object.values(baseline[kind].builds).map((b) => [kind, b.build, b.framesPerS, b.p50, b.p95, b.encodeMsPerFace, b.build === baseline[kind].build ? 'yes' : '']))));
  lines.push('\nThroughput (4 requests in flight through POST /api/v1/recognize; baseline = face_recognition called directly, one call at a time)\n');
  const rows = [];
  for (const kind of kinds) {
    const b = baseline[kind];
    rows.push([`face_recognition direct (baseline, ${b.build})`, kind, b.framesPerS, b.facesPerS, b.p50, b.p95, '1.00x']);
    for (const [id, g] of Object.entries(glimpse)) {
      const t = g.throughput[kind];
      if (t) rows.push([g.label, kind, t.framesPerS, t.facesPerS, t.p50, t.p95, `${(t.framesPerS / b.framesPerS).toFixed(2)}x`]);
    }
  }
  lines.push(table(['what', 'frames', 'frames/s', 'faces/s', 'p50 ms', 'p95 ms', 'vs baseline'], rows));
  lines.push(`\nEncode only (face_encodings with known boxes, the floor): ${Object.values(base1.builds).map((b) => `${b.encodeMsPerFace} ms per face on ${b.build}`).join(', ')}`);
  if (scaling) lines.push(...scalingLines(scaling, SCALING_N, table));
  const st = glimpse.defaults?.stream;
  if (st) {
    lines.push(`\nVideo streams (4 streams of consecutive 640x480 snapshots of one moving face, each one frame in flight, as capture sends them; defaults with face tracking)\n`);
    lines.push(table(['what', 'frames/s', 'faces/s', 'p50 ms', 'p95 ms', 'faces reusing a tracked encoding', 'vs baseline'], [
      ['face_recognition direct (baseline, same frames one at a time)', base1.framesPerS, base1.facesPerS, base1.p50, base1.p95, '-', '1.00x'],
      ['Glimpse defaults, FrameRecognize per stream frame', st.framesPerS, st.facesPerS, st.p50, st.p95, `${Math.round(st.trackedRatio * 100)}%`, `${(st.framesPerS / base1.framesPerS).toFixed(2)}x`],
    ]));
  }
  const latRows = [['face_recognition direct, one call (baseline)', base1.p50, base1.p95, '']];
  for (const g of Object.values(glimpse)) if (g.latency) latRows.push([`POST /api/v1/recognize, ${g.label}`, g.latency.p50, g.latency.p95, `${(g.latency.p95 / base1.p50).toFixed(2)}x`]);
  lines.push('\nLatency, 640x480 one face, one request at a time\n');
  lines.push(table(['what', 'p50 ms', 'p95 ms', 'p95 / baseline p50'], latRows));
  lines.push('\nIdentification accuracy on the fixture faces (enroll first photo, identify the rest; strangers must come out new)\n');
  const label = (s) => (s === 'baseline' ? 'face_recognition direct (baseline)' : s === 'blaze' ? 'BlazeFace (Glimpse default)' : `HOG, detect max side ${s.split(':')[0] === '0' ? 'full frame' : s.split(':')[0]}, upsample ${s.split(':')[1]}${s.split(':')[2] ? `, min scale ${s.split(':')[2]}` : ''}`);
  lines.push(table(['frames', 'setting', 'accuracy', 'correct / total', 'faces missed', 'detect ms', 'encode ms'], accuracy.map((a) => [a.frame, label(a.setting), a.accuracy, `${a.correct} / ${a.total}`, a.missed, a.detectMs, a.encodeMs])));
  lines.push('\nMatcher nearest-face search (the matcher\'s SQL, k=1, HNSW m=16 ef_construction=64; clustered dlib-like encodings; 200 queries; recall@1 = same face as an exact scan, person recall = same person)\n');
  lines.push(table(['store', 'faces', 'hnsw.ef_search', 'p50 ms', 'p95 ms', 'recall@1', 'person recall@1', 'exact scan p50 ms', 'index build s'], matcher.map((m) => [m.store, m.n, m.efSearch, m.p50, m.p95, m.recallAt1, m.personRecallAt1, m.exactP50, m.buildS ?? '-'])));
  const two = glimpse['blaze-2inst']?.throughput[k1];
  const one = glimpse['blaze-1proc']?.throughput[k1];
  const def = glimpse.defaults;
  lines.push('\nLive camera (headless Chromium over WHIP, 640x480 fake camera, shipped defaults, one recognizer)\n');
  lines.push(liveTable(live));
  if (identity) lines.push('\n"Seen before?" on the fixture faces with distractors enrolled first (bench/identity.mjs)\n', identity.table);
  lines.push('\nTargets');
  lines.push(`- throughput 640x480 one face vs baseline: ${def ? (def.throughput[k1].framesPerS / base1.framesPerS).toFixed(2) : '-'}x independent frames, ${st ? (st.framesPerS / base1.framesPerS).toFixed(2) : '-'}x video streams (target >= 3x)`);
  lines.push(`- recognize p95 / baseline single call: ${def ? (def.latency.p95 / base1.p50).toFixed(2) : '-'} (target <= 1.5)`);
  if (scaling) lines.push(`- 2 recognizer instances / 1 (recognizer alone, FrameEncode): ${scaling.ratio.toFixed(2)}x, median of ${scaling.ratios.length} alternating rounds (target >= 1.7x)`);
  if (one && two) lines.push(`- 2 instances / 1 instance, whole stack (gateway and matcher share the same 2 cores): ${(two.framesPerS / one.framesPerS).toFixed(2)}x`);
  for (const m100 of matcher.filter((m) => m.n === 100000 && m.store.startsWith('PGlite'))) lines.push(`- matcher 100k PGlite, ef_search ${m100.efSearch}: p95 ${m100.p95} ms, recall@1 ${m100.recallAt1}, person recall@1 ${m100.personRecallAt1} (target <= 20 ms, >= 0.99)`);
  const text = lines.join('\n');
  console.log(`\n${text}\n`);

  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const file = join(ROOT, 'bench/results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ when: new Date().toISOString(), quick: QUICK, cpus: cpus().length, cpu: cpus()[0]?.model, n: N, seconds: Math.round((Date.now() - started) / 1000), baseline, accuracy, glimpse, scaling, matcher, live, table: text }, null, 2));
  log(`written ${file} in ${Math.round((Date.now() - started) / 1000)} s`);
  rmSync(tmp, { recursive: true, force: true });
}

async function benchLiveStack(streams, dir) {
  const stack = await startStack({ natsUrl: `nats://127.0.0.1:${await freePort()}`, port: 0, dataDir: join(dir, 'live-data'), logSink: { write() {} } });
  try {
    return await benchLive({ url: stack.url, key: stack.apiKey, streams, seconds: QUICK ? 8 : 20, dir });
  } finally {
    await stack.stop();
  }
}

// `npm run bench -- identity` runs only the identity benchmark
const only = process.argv[2] === 'identity'
  ? benchIdentity().then(({ table: text }) => console.log(`\n${text}\n`))
  : main();
only.catch((err) => {
  console.error(err);
  process.exit(1);
});
