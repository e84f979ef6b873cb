#!/usr/bin/env node
// `npm run bench`: one run, same images, printed table + JSON under bench/results/.
// Compares the Python worker, /api/v1/recognize end to end, and face_recognition called directly.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sharp = require('sharp');
const { startStack } = require('../infra/scripts/stack.js');
const N = Number(process.env.BENCH_N ?? 40);
const fixtures = resolve(process.env.GLIMPSE_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures', 'faces'));

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const stats = (xs) => ({ n: xs.length, p50: +pct(xs, 50).toFixed(1), p95: +pct(xs, 95).toFixed(1), mean: +(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1) });

/** 640x480 frames with one face: fixture photos centred on a grey background, as a camera would frame them. */
async function frames(dir) {
  const people = readdirSync(fixtures, { withFileTypes: true }).filter((d) => d.isDirectory()).slice(0, 8);
  const out = [];
  for (const p of people) {
    const file = join(fixtures, p.name, readdirSync(join(fixtures, p.name)).sort()[0]);
    const face = await sharp(file).resize(300, 300).toBuffer();
    const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#777' } })
      .composite([{ input: face, left: 170, top: 90 }]).jpeg({ quality: 90 }).toBuffer();
    const path = join(dir, `${p.name}.jpg`);
    writeFileSync(path, jpeg);
    out.push(path);
  }
  return out;
}

async function time(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'glimpse-bench-'));
  const paths = await frames(tmp);
  const blobs = paths.map((p) => readFileSync(p));
  console.log(`bench: ${N} calls per figure, ${paths.length} distinct 640x480 one-face frames, ${cpus().length} CPUs`);

  const python = join(ROOT, 'services/recognizer/worker/.venv/bin/python');
  const base = JSON.parse(execFileSync(python, [join(ROOT, 'bench/baseline.py'), String(N), ...paths]).toString());

  const stack = await startStack({ port: 0, dataDir: join(tmp, 'data'), logSink: { write() {} } });
  try {
    const worker = [], e2e = [];
    for (let i = 0; i < 3; i++) await fetch(`${stack.url}/api/v1/recognize?store=false`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: blobs[0] });
    for (let i = 0; i < N; i++) {
      worker.push(await time(async () => {
        const r = await fetch(`${stack.workerUrl}/v1/encode`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: blobs[i % blobs.length] });
        if (!r.ok) throw new Error(`worker ${r.status}`);
        await r.json();
      }));
    }
    for (let i = 0; i < N; i++) {
      e2e.push(await time(async () => {
        const r = await fetch(`${stack.url}/api/v1/recognize?store=false`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: blobs[i % blobs.length] });
        if (!r.ok) throw new Error(`recognize ${r.status}: ${await r.text()}`);
        await r.json();
      }));
    }
    const rows = {
      'baseline: face_recognition direct (HOG up1 + encode)': stats(base.ms),
      'Python worker /v1/encode (HTTP)': stats(worker),
      'POST /api/v1/recognize end to end': stats(e2e),
    };
    console.log('\n| figure (640x480, one face) | p50 ms | p95 ms | mean ms |\n|---|---|---|---|');
    for (const [k, v] of Object.entries(rows)) console.log(`| ${k} | ${v.p50} | ${v.p95} | ${v.mean} |`);
    const ratio = { workerVsBaselineP50: +(rows['Python worker /v1/encode (HTTP)'].p50 / rows['baseline: face_recognition direct (HOG up1 + encode)'].p50).toFixed(2), e2eP95VsBaselineP50: +(rows['POST /api/v1/recognize end to end'].p95 / rows['baseline: face_recognition direct (HOG up1 + encode)'].p50).toFixed(2) };
    console.log(`\nratios: worker p50 / baseline p50 = ${ratio.workerVsBaselineP50}; recognize p95 / baseline p50 = ${ratio.e2eP95VsBaselineP50}`);
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    const file = join(ROOT, 'bench/results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ when: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, n: N, rows, ratio }, null, 2));
    console.log(`written ${file}`);
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
