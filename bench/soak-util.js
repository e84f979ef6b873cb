'use strict';
/** Helpers of the soak test (bench/soak-lib.js): options, fixtures, videos, /proc memory, Prometheus text. */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startStack, freePort, ROOT } = require('../infra/scripts/stack.js');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const num = (v, def) => (v === undefined || v === '' ? def : Number(v));

/** The soak's knobs from the environment (see docs/reliability.md). */
function soakOptions(env = process.env) {
  const o = {
    minutes: num(env.SOAK_MINUTES, 10),
    streams: num(env.SOAK_STREAMS, 6),
    clients: num(env.SOAK_CLIENTS, 4),
    fps: num(env.SNAPSHOT_FPS, 2),
    sampleS: num(env.SOAK_SAMPLE_S, 5),
    maxQueue: num(env.SOAK_MAX_QUEUE, 4),
    recognizers: num(env.RECOGNIZERS, 1),
    fixtures: path.resolve(ROOT, env.GLIMPSE_FIXTURES ?? '../shared/fixtures/faces'),
  };
  for (const [k, v] of Object.entries(o))
    if (typeof v === 'number' && !(v >= 0)) throw new Error(`soak option ${k}: not a number >= 0`);
  if (o.minutes <= 0 || o.sampleS <= 0 || o.fps <= 0)
    throw new Error('SOAK_MINUTES, SOAK_SAMPLE_S and SNAPSHOT_FPS must be > 0');
  return o;
}

/** Fixture photos by identity, from MANIFEST.tsv; [] when the folder is absent. */
function fixturePhotos(dir) {
  const manifest = path.join(dir, 'MANIFEST.tsv');
  if (!fs.existsSync(manifest)) return [];
  const [header, ...rows] = fs
    .readFileSync(manifest, 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  const cols = header.split('\t');
  const [id, rel] = [cols.indexOf('identity'), cols.indexOf('relative_path')];
  return rows.map((r) => r.split('\t')).map((c) => ({ identity: c[id], path: path.join(dir, c[rel]) }));
}

/** A 640x480 slideshow (2 s per photo) that the capture service can loop. */
function slideshow(paths, out) {
  const inputs = paths.flatMap((p) => ['-loop', '1', '-t', '2', '-i', p]);
  const scale = paths.map(
    (_, i) =>
      `[${i}]scale=480:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=10[v${i}]`,
  );
  const concat = `${paths.map((_, i) => `[v${i}]`).join('')}concat=n=${paths.length}:v=1:a=0[out]`;
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    ...inputs,
    '-filter_complex',
    `${scale.join(';')};${concat}`,
    '-map',
    '[out]',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    out,
  ]);
  return out;
}

/** p-th percentile (0-100) by nearest rank; null for no values. */
function percentile(values, p) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const median = (values) => percentile(values, 50);

/** VmRSS of a process in KiB, or null when it is gone. */
function rssKb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses), so that
 * index 0 is field 3 (state), 1 the parent pid, 11 and 12 user and system CPU ticks. Throws once it is gone.
 */
function procStat(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Every live descendant of `pid` (the worker's engine processes), from /proc. */
function descendants(pid) {
  const parentOf = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      parentOf.set(Number(d), Number(procStat(d)[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const out = [];
  const walk = (p) => {
    for (const [child, parent] of parentOf) if (parent === p) (out.push(child), walk(child));
  };
  walk(pid);
  return out;
}

/** RSS (MiB) of each stack process; the worker counts with its engine processes. */
function memorySample(stack) {
  const out = {};
  for (const [name, child] of stack.procs) {
    if (!child.pid || child.exitCode !== null) continue;
    const pids = name === 'worker' ? [child.pid, ...descendants(child.pid)] : [child.pid];
    const kb = pids.map(rssKb).filter((v) => v !== null);
    if (kb.length) out[name] = kb.reduce((a, b) => a + b, 0) / 1024;
  }
  return out;
}

/** Prometheus text → [{name, labels, value}] (comments and histograms' text kept out). */
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) out.push({ name: m[1], labels: m[2] ?? '', value: Number(m[3]) });
  }
  return out;
}

const sumOf = (series, name, labelMatch = '') =>
  series.filter((s) => s.name === name && s.labels.includes(labelMatch)).reduce((a, s) => a + s.value, 0);

async function scrape(port) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`metrics on port ${port}: HTTP ${res.status}`);
  return parseMetrics(await res.text());
}

/** Starts the private stack a soak runs against: its own nats-server, free ports, metrics on. */
async function startSoakStack(o, logSink) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'glimpse-soak-'));
  const stack = await startStack({
    natsUrl: `nats://127.0.0.1:${await freePort()}`,
    port: 0,
    dataDir,
    recognizers: o.recognizers,
    metrics: true,
    // every soak client uses the one admin key: the per-key API limit (tested in rate-limit.test.ts) would
    // measure the limiter, not the stack
    env: { MAX_QUEUE: String(o.maxQueue), SNAPSHOT_FPS: String(o.fps), LOG_LEVEL: 'warn', RATE_LIMIT_API_PER_MIN: '0' },
    logSink: logSink ?? { write: () => true },
  });
  stack.soakDataDir = dataDir;
  return stack;
}

module.exports = {
  soakOptions,
  fixturePhotos,
  slideshow,
  percentile,
  median,
  rssKb,
  procStat,
  descendants,
  memorySample,
  parseMetrics,
  sumOf,
  scrape,
  startSoakStack,
  sleep,
};
