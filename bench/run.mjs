#!/usr/bin/env node
// `npm run bench`: every row like for like, in one run, on the same frames. Prints the tables, writes
// bench/results/latest.json (everything) and bench/results/summary.json (committed: the tables as printed, the
// targets and the machine), from which `npm run bench -- --readme` regenerates the tables in
// docs/performance.md. Figures only: nothing here asserts a timing.
//
//   npm run bench                       full run (~25 minutes on 2 cores; see docs/performance.md)
//   BENCH_QUICK=1 npm run bench         smoke run (a few minutes, small sizes; writes summary-partial.json)
//   BENCH_ONLY=baseline,throughput npm run bench   only those sections (also summary-partial.json)
//   npm run bench -- --readme [summary.json]        tables into docs/performance.md, from the summary
//   npm run bench -- identity           the identity benchmark alone
//
// Sections: baseline, throughput, paced, scaling, identity, matcher, whip (Chromium over WHIP, only with
// BENCH_WHIP=1), and every module of ROW_MODULES that exists (see there).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spread, stats } from './drive.mjs';
import { makeFrames } from './frames.mjs';
import { benchIdentity } from './identity.mjs';
import { benchLive, liveTable } from './live.mjs';
import { benchMatcher } from './matcher.mjs';
import { benchPaced } from './paced.mjs';
import { postgresUnavailable, startPostgres } from './pg.mjs';
import * as report from './report.mjs';
import { benchScaling } from './scaling.mjs';
import { benchThroughput, throughputConfigs } from './throughput.mjs';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { startStack, freePort } = require('../infra/scripts/stack.js');
const PYTHON = join(ROOT, 'services/recognizer/worker/.venv/bin/python');
const RESULTS = join(ROOT, 'bench/results');
const DOC = resolve(process.env.BENCH_DOC ?? join(ROOT, 'docs/performance.md'));
const QUICK = process.env.BENCH_QUICK === '1';
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const want = (id) => !ONLY.length || ONLY.includes(id);
const num = (name, full, quick) => Number(process.env[name] ?? (QUICK ? quick : full));
const SIZES = {
  rounds: num('BENCH_ROUNDS', 3, 2),
  perRound: num('BENCH_PER_ROUND', 100, 12),
  kinds:
    process.env.BENCH_KINDS?.split(';') ??
    (QUICK ? ['640x480, 1 face'] : ['640x480, 1 face', '640x480, 4 faces', '1280x720, 1 face']),
  galleries: (process.env.BENCH_GALLERIES ?? (QUICK ? '1000' : '10000,100000')).split(',').map(Number),
  pacedFps: (process.env.BENCH_PACED_FPS ?? (QUICK ? '2' : '2,5')).split(',').map(Number),
  pacedStreams: (process.env.BENCH_PACED_STREAMS ?? (QUICK ? '1,4' : '1,4,8')).split(',').map(Number),
  pacedSeconds: num('BENCH_PACED_SECONDS', 20, 6),
  scalingCounts: (process.env.BENCH_SCALING_COUNTS ?? (QUICK ? '1,2' : '1,2,3')).split(',').map(Number),
  scalingPerInstance: num('BENCH_SCALING_N', 100, 24),
  identityDistractors: (process.env.IDENTITY_DISTRACTORS ?? '0,100,1000').split(',').map(Number),
  matcherSizes: (process.env.BENCH_MATCHER_SIZES ?? (QUICK ? '1000' : '1000,10000,100000')).split(',').map(Number),
};
const fixtures = resolve(process.env.GLIMPSE_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures', 'faces'));
const distractors = resolve(process.env.GLIMPSE_DISTRACTORS ?? join(fixtures, '..', 'distractors'));
const log = (m) => process.stderr.write(`bench: ${m}\n`);

/**
 * Rows other people add: a module here that exports `benchSection(ctx)` is run after the built-in sections
 * (id = its file name, so BENCH_ONLY=cameras picks it) and its result kept in the summary. It returns
 * `{ title, markdown, data?, targets? }` (or an array of them): `markdown` is the table as printed, `targets`
 * rows of `{ target, measured, met }` (met: true, false or null for "reported"). `ctx` holds quick, tmp,
 * fixtures, distractors, frames, rounds, perRound, log, startStack, freePort and pg (a Postgres server with
 * `createDatabase(name)` → URL, or null). A module without benchSection is left alone.
 */
const ROW_MODULES = ['./cameras.mjs', './privacy-cost.mjs', './multihost.mjs'];

function python(script, args, env = {}) {
  return JSON.parse(
    execFileSync(PYTHON, [join(ROOT, 'bench', script), ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 64 << 20,
    }).toString(),
  );
}

/** dlib-bin (the prebuilt wheel, no BLAS) in bench/.dlib-bin, first on PYTHONPATH: the venv stays untouched. */
function dlibBinPath() {
  const dir = join(ROOT, 'bench', '.dlib-bin');
  if (!existsSync(dir)) {
    log('installing dlib-bin into bench/.dlib-bin for the baseline');
    execFileSync(
      PYTHON,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        '--target',
        dir,
        '-r',
        join(ROOT, 'services/recognizer/worker/requirements-dlib-bin.txt'),
      ],
      { stdio: 'inherit' },
    );
  }
  return dir;
}

function summarize(b, build, procs) {
  const s = stats(b.ms);
  return {
    build,
    procs,
    requests: b.ms.length,
    framesPerS: spread(b.rounds.map((r) => r.frames / r.s)),
    facesPerFrame: Math.round((b.faces.reduce((a, x) => a + x, 0) / b.faces.length) * 100) / 100,
    p50: s.p50,
    p95: s.p95,
  };
}

/**
 * face_recognition on exactly `paths`: each dlib build tried on 8 frames, then the faster one in 1 process and
 * in a multiprocessing pool over every core (one BLAS thread per process, so the pool does not oversubscribe).
 */
function baselineOf(paths) {
  const builds = [];
  const probe = (env) => {
    const b = python('baseline.py', ['1', '1', '8', '--floor', ...paths], env);
    const label = b.dlib.blas ? 'dlib with OpenBLAS' : 'dlib-bin';
    builds.push({
      build: label,
      env,
      frames: 8,
      framesPerS: Math.round((8 / b.rounds[0].s) * 10) / 10,
      encodeMsPerFace: Math.round(b.encodeMsPerFace * 10) / 10,
    });
    return b.dlib.blas;
  };
  if (probe({})) {
    try {
      probe({ PYTHONPATH: dlibBinPath() });
    } catch (err) {
      log(`dlib-bin unavailable for the baseline (${err.message}); the OpenBLAS build alone`);
    }
  }
  const best = [...builds].sort((a, b) => b.framesPerS - a.framesPerS)[0];
  const args = [String(SIZES.rounds), String(SIZES.perRound), ...paths];
  const single = summarize(python('baseline.py', ['1', ...args], best.env), best.build, 1);
  const procs = cpus().length;
  const pool =
    procs > 1
      ? summarize(
          python('baseline.py', [String(procs), ...args], { ...best.env, OPENBLAS_NUM_THREADS: '1' }),
          best.build,
          procs,
        )
      : null;
  return { single, pool, probes: builds.map(({ env, ...p }) => p) };
}

function machine() {
  const git = (args) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  return {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    loadBefore: loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    commit: `${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain', '--untracked-files=no']) ? ' (with local changes)' : ''}`,
    when: new Date().toISOString(),
    quick: QUICK,
    rounds: SIZES.rounds,
    perRound: SIZES.perRound,
  };
}

async function plugins(ctx) {
  const out = [];
  for (const rel of ROW_MODULES) {
    const file = join(ROOT, 'bench', rel);
    const id = basename(rel, '.mjs');
    if (!existsSync(file) || !want(id) || !/export (async )?function benchSection/.test(readFileSync(file, 'utf8')))
      continue;
    const t = Date.now();
    log(`section ${id} (${rel})`);
    const res = await (await import(pathToFileURL(file).href)).benchSection(ctx);
    for (const s of [res].flat()) out.push({ id, seconds: Math.round((Date.now() - t) / 1000), ...s });
  }
  return out;
}

async function main() {
  const started = Date.now();
  const m = machine();
  const tmp = mkdtempSync(join(tmpdir(), 'glimpse-bench-'));
  const r = {};
  const sections = [];
  const timed = async (id, title, fn, md) => {
    if (!want(id)) return;
    const t = Date.now();
    log(`section ${id}`);
    r[id] = await fn();
    sections.push({ id, title, seconds: Math.round((Date.now() - t) / 1000), markdown: md(r[id]) });
  };
  let pg = null;
  try {
    log(
      `${QUICK ? 'QUICK ' : ''}run on ${m.cores} CPUs (${m.cpu}), load ${m.loadBefore.join(' ')}: ${JSON.stringify(SIZES)}`,
    );
    const frames = await makeFrames(tmp, fixtures, Math.max(...SIZES.pacedStreams));
    const why = postgresUnavailable();
    if (why) log(`*** NO POSTGRES ROWS: ${why} ***`);
    else if (want('throughput') || want('matcher') || ROW_MODULES.some((x) => want(basename(x, '.mjs'))))
      pg = await startPostgres({ freePort });
    const ctx = { quick: QUICK, tmp, fixtures, distractors, frames, log, pg, startStack, freePort, ...SIZES };

    // the baseline on exactly the frames of each row: the still kinds, and the videos the paced streams play
    const videoPaths = frames.videos[0].flatMap((_, i) => frames.videos.map((v) => v[i].path));
    const baselineKinds = [...SIZES.kinds, ...(want('paced') ? ['video'] : [])];
    await timed(
      'baseline',
      'Baseline: face_recognition called directly, on the same frames',
      async () => {
        const out = {};
        for (const kind of baselineKinds) {
          out[kind] = baselineOf(kind === 'video' ? videoPaths : frames[kind].map((f) => f.path));
          log(`baseline ${kind}: ${JSON.stringify(out[kind])}`);
        }
        return out;
      },
      (b) => report.baselineSection(b),
    );
    const baseline = r.baseline ?? {};

    await timed(
      'throughput',
      'Throughput through POST /api/v1/recognize (4 requests in flight), against both baselines',
      () =>
        benchThroughput(
          ctx,
          throughputConfigs({ quick: QUICK, galleries: SIZES.galleries, kinds: SIZES.kinds, postgres: !!pg }),
        ),
      (c) => report.throughputSection(c, baseline),
    );
    if (r.throughput)
      sections.push({
        id: 'latency',
        title: 'Latency, one request at a time',
        seconds: 0,
        markdown: report.latencySection(r.throughput, baseline),
      });

    await timed(
      'paced',
      `Live streams at the capture's pace (store=true, ${SIZES.galleries[0] / 1000}k faces in PGlite, each stream its own moving face)`,
      () =>
        benchPaced(ctx, {
          fpsList: SIZES.pacedFps,
          streamsList: SIZES.pacedStreams,
          seconds: SIZES.pacedSeconds,
          gallery: SIZES.galleries[0],
        }),
      (rows) => report.pacedSection(rows, baseline),
    );

    await timed(
      'scaling',
      'Recognizer instances, each with its own worker (FrameEncode over NATS, 640x480 one face)',
      () =>
        benchScaling({
          frames: frames['640x480, 1 face'],
          counts: SIZES.scalingCounts,
          rounds: SIZES.rounds,
          perInstance: SIZES.scalingPerInstance,
          dir: tmp,
          log,
        }),
      (s) => report.scalingSection(s),
    );

    if (!QUICK) {
      await timed(
        'identity',
        'Identification accuracy with the shipped settings ("seen before?", fixture faces with distractors enrolled first)',
        () =>
          benchIdentity({ log: (x) => log(`identity: ${x}`), counts: SIZES.identityDistractors, rules: ['person'] }),
        (i) => report.identitySection(i),
      );
    }

    await timed(
      'matcher',
      `Matcher nearest-face search, PGlite next to ${pg ? pg.version : 'no Postgres server'} (the matcher's SQL, k=1, HNSW m=16 ef_construction=64, clustered dlib-like encodings, 200 queries)`,
      async () => {
        const url = pg ? await pg.createDatabase('matcher_bench') : undefined;
        const rows = await benchMatcher(
          SIZES.matcherSizes,
          log,
          url,
          pg ? `Postgres server (${pg.version})` : undefined,
        );
        return rows.map(({ ms, ...x }) => ({ ...stats(ms), ...x, queries: ms.length }));
      },
      (rows) => report.matcherSection(rows),
    );

    if (process.env.BENCH_WHIP === '1') {
      await timed(
        'whip',
        'Live camera: headless Chromium over WHIP (640x480 fake camera, shipped defaults)',
        async () => {
          const stack = await startStack({
            natsUrl: `nats://127.0.0.1:${await freePort()}`,
            port: 0,
            dataDir: join(tmp, 'whip-data'),
            logSink: { write() {} },
          });
          try {
            return await benchLive({
              url: stack.url,
              key: stack.apiKey,
              streams: QUICK ? [1] : [1, 4],
              seconds: QUICK ? 8 : 20,
              dir: tmp,
            });
          } finally {
            await stack.stop();
          }
        },
        (rows) => liveTable(rows),
      );
    }

    r.plugins = await plugins(ctx);
    sections.push(...r.plugins.map(({ data, targets: t, ...s }) => s));
  } finally {
    await pg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }

  m.seconds = Math.round((Date.now() - started) / 1000);
  const tgs = report.targets(r);
  const text = report.render(m, sections, tgs);
  console.log(
    `\n${text}\n\nRun time: ${Math.round(m.seconds / 60)} min (${sections.map((s) => `${s.id} ${s.seconds} s`).join(', ')})\n`,
  );
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(
    join(RESULTS, 'latest.json'),
    JSON.stringify({ machine: m, sizes: SIZES, results: r, targets: tgs, text }, null, 2),
  );
  const partial = QUICK || ONLY.length > 0;
  const file = join(RESULTS, partial ? 'summary-partial.json' : 'summary.json');
  writeFileSync(file, `${JSON.stringify({ machine: m, sizes: SIZES, sections, targets: tgs }, null, 2)}\n`);
  log(
    `written bench/results/latest.json and ${file} in ${m.seconds} s${partial ? ' (a partial run: summary.json, which the docs come from, is untouched)' : ''}`,
  );
}

/** docs/performance.md's generated part, from a summary written by a run. */
function readme(summaryFile) {
  const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
  const minutes = Math.round(s.machine.seconds / 60);
  const body = [
    `Generated from \`${summaryFile.startsWith(ROOT) ? summaryFile.slice(ROOT.length + 1) : summaryFile}\`: the tables exactly as \`npm run bench\` printed them. The run took ${minutes} minutes (${s.sections.map((x) => `${x.id} ${x.seconds} s`).join(', ')}).\n`,
    report.render(s.machine, s.sections, s.targets),
  ].join('\n');
  const doc = existsSync(DOC)
    ? readFileSync(DOC, 'utf8')
    : '# Performance\n\nWhat you can check here: how fast Glimpse recognizes faces on your hardware compared with calling face_recognition yourself, and how to reproduce every figure with `npm run bench`.\n';
  writeFileSync(DOC, report.spliceGenerated(doc, body));
  log(`${DOC}: tables from ${summaryFile} (${s.machine.when}${s.machine.quick ? ', a QUICK run' : ''})`);
}

const args = process.argv.slice(2);
const run =
  args[0] === 'identity'
    ? benchIdentity().then(({ table: text }) => console.log(`\n${text}\n`))
    : args[0] === '--readme'
      ? Promise.resolve().then(() => readme(resolve(args[1] ?? join(RESULTS, 'summary.json'))))
      : main();
run.catch((err) => {
  console.error(err);
  process.exit(1);
});
