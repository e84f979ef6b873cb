'use strict';
/**
 * Load and soak test of a private Glimpse stack (loopback only, bounded in time): looping video
 * streams, concurrent API clients posting photos, and one client polling /healthz and the persons
 * list, sampled every few seconds for throughput, latency, dropped frames, shedding and the memory of
 * every process. Used by `npm run soak` (bench/soak.mjs) and test/integration/soak.test.ts.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const u = require('./soak-util.js');

const RECOGNIZE = 'POST /api/v1/recognize';
const HEALTHZ = 'GET /healthz';
const PERSONS = 'GET /api/v1/persons';
const REQUEST_TIMEOUT_MS = 60_000;
/** A shed request's client waits what Retry-After says, but at most this, so the load stays high. */
const RETRY_AFTER_CAP_MS = 2_000;
/** A process whose median RSS in the last quarter exceeds the second quarter's by more than this is GROWING. */
const GROWTH_FLAG = 0.2;

/** One HTTP exchange, recorded with its latency; a transport failure or timeout is status 0. */
async function timed(ctx, endpoint, url, init = {}) {
  const started = performance.now();
  let status = 0;
  let retryAfterS = 0;
  try {
    const res = await fetch(`${ctx.stack.url}${url}`, {
      ...init,
      headers: { ...ctx.auth, ...init.headers },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    status = res.status;
    retryAfterS = Number(res.headers.get('retry-after')) || 0;
  } catch {
    status = 0;
  }
  ctx.calls.push({ endpoint, t: Date.now() - ctx.startedAt, ms: performance.now() - started, status });
  return { status, retryAfterS };
}

/** Uploads one looping slideshow per stream (three identities each) and returns the stream ids. */
async function startStreams(ctx, photos) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glimpse-soak-video-'));
  const ids = [];
  for (let i = 0; i < ctx.o.streams; i++) {
    const trio = [0, 1, 2].map((k) => photos[(i * 3 + k) % photos.length].path);
    const video = fs.readFileSync(u.slideshow(trio, path.join(dir, `stream-${i}.mp4`)));
    const res = await fetch(`${ctx.stack.url}/api/v1/streams/upload?loop=true&fps=${ctx.o.fps}`, {
      method: 'POST',
      headers: { ...ctx.auth, 'content-type': 'video/mp4' },
      body: video,
    });
    const body = await res.json();
    if (res.status !== 201) throw new Error(`starting stream ${i}: HTTP ${res.status} ${JSON.stringify(body)}`);
    ids.push(body.id);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return ids;
}

async function apiClient(ctx, images, i) {
  for (let n = i; Date.now() < ctx.stopAt; n++) {
    const body = images[(n * 7) % images.length];
    // store=false: the soak looks for leaks, not for the database growing with every upload
    const { status, retryAfterS } = await timed(ctx, RECOGNIZE, '/api/v1/recognize?store=false', {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body,
    });
    // a polite client: a shed request (503) is retried after Retry-After, not at once
    if (status === 503)
      await u.sleep(Math.min(RETRY_AFTER_CAP_MS, Math.max(250, retryAfterS * 1000), ctx.stopAt - Date.now()));
  }
}

async function healthClient(ctx) {
  while (Date.now() < ctx.stopAt) {
    await timed(ctx, HEALTHZ, '/healthz');
    await timed(ctx, PERSONS, '/api/v1/persons?pageSize=10');
  }
}

/** Stream counters, process memory and the recognizers' queue metrics at one moment. */
async function sample(ctx) {
  const t = Date.now() - ctx.startedAt;
  const res = await fetch(`${ctx.stack.url}/api/v1/streams`, {
    headers: ctx.auth,
    signal: AbortSignal.timeout(10_000),
  }).catch(() => null);
  const items = res?.ok ? (await res.json()).items.filter((s) => ctx.streamIds.includes(s.id)) : null;
  const frames = { captured: 0, skipped: 0, processed: 0, failed: 0 };
  const perStream = {};
  for (const s of items ?? []) {
    for (const k of Object.keys(frames)) frames[k] += s[`frames${k[0].toUpperCase()}${k.slice(1)}`] ?? 0;
    perStream[s.id] = { processed: s.framesProcessed, state: s.state };
  }
  const recognizer = { queueDepth: 0, queueDepthMax: 0, queueLimit: 0, shed: 0 };
  for (const [name, port] of Object.entries(ctx.stack.metricsPorts ?? {})) {
    if (!name.startsWith('recognizer')) continue;
    const m = await u.scrape(port).catch(() => []);
    recognizer.queueDepth += u.sumOf(m, 'glimpse_recognizer_queue_depth');
    recognizer.queueDepthMax = Math.max(recognizer.queueDepthMax, u.sumOf(m, 'glimpse_recognizer_queue_depth_max'));
    recognizer.queueLimit = Math.max(recognizer.queueLimit, u.sumOf(m, 'glimpse_recognizer_queue_limit'));
    recognizer.shed += u.sumOf(m, 'glimpse_recognizer_frames_shed_total');
  }
  return {
    t,
    streamsOk: items !== null,
    frames,
    perStream,
    rssMiB: u.memorySample(ctx.stack),
    recognizer,
    load1: os.loadavg()[0],
  };
}

async function sampler(ctx, log) {
  ctx.samples.push(await sample(ctx));
  for (let next = ctx.o.sampleS * 1000; Date.now() < ctx.stopAt; next += ctx.o.sampleS * 1000) {
    while (Date.now() - ctx.startedAt < next && Date.now() < ctx.stopAt)
      await u.sleep(Math.min(250, Math.max(1, next - (Date.now() - ctx.startedAt))));
    const s = await sample(ctx);
    const prev = ctx.samples[ctx.samples.length - 1];
    ctx.samples.push(s);
    const rate = ((s.frames.processed - prev.frames.processed) / ((s.t - prev.t) / 1000)).toFixed(2);
    log(
      `t=${(s.t / 1000).toFixed(0)}s snapshots/s ${rate} processed ${s.frames.processed} skipped ${s.frames.skipped} failed ${s.frames.failed} queue ${s.recognizer.queueDepth} shed ${s.recognizer.shed} load ${s.load1.toFixed(2)}`,
    );
  }
}

/**
 * Runs the load against a started stack (see startSoakStack) for `o.minutes` and returns the summary;
 * the streams are stopped again, the stack is left running.
 */
async function runSoak(stack, o, log = () => undefined) {
  const photos = u.fixturePhotos(o.fixtures);
  if (!photos.length) throw new Error(`no fixture faces in ${o.fixtures} (set GLIMPSE_FIXTURES)`);
  const ctx = {
    stack,
    o,
    auth: { authorization: `Bearer ${stack.apiKey}` },
    calls: [],
    samples: [],
    startedAt: Date.now(),
    stopAt: Infinity,
  };
  ctx.streamIds = await startStreams(ctx, photos);
  const images = photos.map((p) => fs.readFileSync(p.path));
  ctx.startedAt = Date.now();
  ctx.stopAt = ctx.startedAt + o.minutes * 60_000;
  log(
    `soak: ${o.streams} streams at ${o.fps} fps, ${o.clients} API clients, 1 healthz/persons client, ${o.minutes} min, MAX_QUEUE ${o.maxQueue}`,
  );
  const clients = Array.from({ length: o.clients }, (_, i) => apiClient(ctx, images, i));
  await Promise.all([...clients, healthClient(ctx), sampler(ctx, log)]);
  const result = summarize(ctx);
  for (const id of ctx.streamIds)
    await fetch(`${stack.url}/api/v1/streams/${id}`, { method: 'DELETE', headers: ctx.auth }).catch(() => undefined);
  return result;
}

function endpointSummary(calls, seconds) {
  const ms = calls.map((c) => c.ms);
  const statuses = {};
  for (const c of calls) statuses[c.status] = (statuses[c.status] ?? 0) + 1;
  const r1 = (v) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    count: calls.length,
    perS: r1(calls.length / seconds),
    p50: r1(u.percentile(ms, 50)),
    p95: r1(u.percentile(ms, 95)),
    max: r1(u.percentile(ms, 100)),
    statuses,
  };
}

/** Start, peak, end and growth (median of the last quarter against the second) per process. */
function memorySummary(samples, durationMs) {
  const out = {};
  const names = new Set(samples.flatMap((s) => Object.keys(s.rssMiB)));
  const inQuarter = (s, q) => s.t >= ((q - 1) / 4) * durationMs && s.t <= (q / 4) * durationMs;
  for (const name of names) {
    const series = samples.filter((s) => s.rssMiB[name] !== undefined);
    const values = series.map((s) => s.rssMiB[name]);
    const q2 = u.median(series.filter((s) => inQuarter(s, 2)).map((s) => s.rssMiB[name]));
    const q4 = u.median(series.filter((s) => inQuarter(s, 4)).map((s) => s.rssMiB[name]));
    const growth = q2 && q4 ? q4 / q2 - 1 : null;
    const r = (v) => Math.round(v * 10) / 10;
    out[name] = {
      startMiB: r(values[0]),
      peakMiB: r(Math.max(...values)),
      endMiB: r(values[values.length - 1]),
      q2MedianMiB: q2 && r(q2),
      q4MedianMiB: q4 && r(q4),
      growth: growth === null ? null : Math.round(growth * 1000) / 1000,
      growing: growth !== null && growth > GROWTH_FLAG,
    };
  }
  return out;
}

function summarize(ctx) {
  const first = ctx.samples[0];
  const last = ctx.samples[ctx.samples.length - 1];
  const durationMs = last.t - first.t;
  const seconds = Math.max(durationMs / 1000, 1e-3);
  const d = (k) => last.frames[k] - first.frames[k];
  const by = (e) => ctx.calls.filter((c) => c.endpoint === e);
  const health = by(HEALTHZ);
  const perStreamProcessed = Object.fromEntries(ctx.streamIds.map((id) => [id, last.perStream[id]?.processed ?? 0]));
  return {
    startedAt: new Date(ctx.startedAt).toISOString(),
    options: ctx.o,
    host: {
      cpus: os.cpus().length,
      loadAvgEnd: os.loadavg().map((v) => Math.round(v * 100) / 100),
      meanLoad1: Math.round((ctx.samples.reduce((a, s) => a + s.load1, 0) / ctx.samples.length) * 100) / 100,
    },
    durationS: Math.round(seconds),
    snapshotsPerS: Math.round((d('processed') / seconds) * 100) / 100,
    frames: {
      captured: d('captured'),
      processed: d('processed'),
      skipped: d('skipped'),
      failed: d('failed'),
      droppedRatio: d('captured') ? Math.round(((d('skipped') + d('failed')) / d('captured')) * 1000) / 1000 : null,
      perStreamProcessed,
    },
    api: Object.fromEntries([RECOGNIZE, PERSONS, HEALTHZ].map((e) => [e, endpointSummary(by(e), seconds)])),
    healthz: {
      successRatio: health.length
        ? Math.round((health.filter((c) => c.status === 200).length / health.length) * 10000) / 10000
        : null,
      p95: u.percentile(
        health.map((c) => c.ms),
        95,
      ),
    },
    recognizer: {
      shed: last.recognizer.shed - first.recognizer.shed,
      queueDepthMax: last.recognizer.queueDepthMax,
      queueLimit: last.recognizer.queueLimit,
    },
    memory: memorySummary(ctx.samples, durationMs),
    samples: ctx.samples.map(({ t, frames, rssMiB, recognizer, load1 }) => ({ t, frames, rssMiB, recognizer, load1 })),
  };
}

/** The summary as the table `npm run soak` prints. */
function formatSummary(r) {
  const lines = [];
  lines.push(
    `Soak ${r.startedAt}: ${r.options.streams} streams at ${r.options.fps} fps, ${r.options.clients} API clients, ${r.durationS} s, MAX_QUEUE ${r.options.maxQueue}; ${r.host.cpus} CPUs, mean load ${r.host.meanLoad1}`,
  );
  lines.push('');
  lines.push('| what | value |', '|---|---|');
  lines.push(`| sustained snapshots/s (all streams) | ${r.snapshotsPerS} |`);
  lines.push(
    `| frames captured / processed / skipped / failed | ${r.frames.captured} / ${r.frames.processed} / ${r.frames.skipped} / ${r.frames.failed} |`,
  );
  lines.push(`| dropped-frame ratio (skipped+failed / captured) | ${r.frames.droppedRatio} |`);
  lines.push(
    `| recognizer frames shed / queue depth max / MAX_QUEUE | ${r.recognizer.shed} / ${r.recognizer.queueDepthMax} / ${r.recognizer.queueLimit} |`,
  );
  lines.push(`| /healthz success ratio / p95 ms | ${r.healthz.successRatio} / ${r.healthz.p95?.toFixed(1)} |`);
  lines.push('');
  lines.push('| endpoint | requests | req/s | p50 ms | p95 ms | max ms | statuses |', '|---|---|---|---|---|---|---|');
  for (const [e, s] of Object.entries(r.api))
    lines.push(
      `| ${e} | ${s.count} | ${s.perS} | ${s.p50} | ${s.p95} | ${s.max} | ${Object.entries(s.statuses)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')} |`,
    );
  lines.push('');
  lines.push(
    '| process | RSS start MiB | peak | end | median Q2 | median Q4 | growth Q2→Q4 | |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const [p, m] of Object.entries(r.memory)) {
    const g = m.growth === null ? 'n/a' : `${(m.growth * 100).toFixed(1)}%`;
    lines.push(
      `| ${p} | ${m.startMiB} | ${m.peakMiB} | ${m.endMiB} | ${m.q2MedianMiB} | ${m.q4MedianMiB} | ${g} | ${m.growing ? 'GROWING' : 'ok'} |`,
    );
  }
  return lines.join('\n');
}

/** Writes the summary as bench/results/soak-<date>.json and returns the path. */
function writeResult(r, dir = path.join(__dirname, 'results')) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `soak-${r.startedAt.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
  return file;
}

module.exports = {
  ...u,
  runSoak,
  summarize,
  formatSummary,
  writeResult,
  memorySummary,
  RECOGNIZE,
  HEALTHZ,
  PERSONS,
  GROWTH_FLAG,
};
