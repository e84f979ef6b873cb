#!/usr/bin/env node
// Live camera figures: headless Chromium publishes a fake camera (a fixture photo, as a y4m) over
// WHIP to the whole stack, and the page measures, per stream, the latency of each result and the
// snapshots processed per second, with 1 and with 4 browsers streaming at once.
//
//   node bench/live.mjs                 # starts its own stack (private NATS, temporary data)
//   BENCH_LIVE_URL=http://host:3000 node bench/live.mjs   # against a running Glimpse
//   import { benchLive } from './live.mjs'                # from bench/run.mjs, with its stack
//
// Latency: `capturedAt` of a result is when its frame reached the capture worker (decoded, out of
// the WebRTC jitter buffer); the page subtracts it from the result's arrival. The browser→capture
// leg is added as half the RTT the browser measures (RTCP). What remains unmeasured is the jitter
// buffer and VP8 decode inside the capture worker, typically a few tens of ms on one host.
// Figures only: nothing here asserts a timing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pct, r1 } from './drive.mjs';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const log = (m) => process.stderr.write(`bench live: ${m}\n`);

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** The first photo of the first person in the fixture manifest: one face, always on screen. */
function fixturePhoto() {
  const dir = resolve(process.env.GLIMPSE_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures', 'faces'));
  const manifest = join(dir, 'MANIFEST.tsv');
  if (!existsSync(manifest)) throw new Error(`no fixture faces at ${dir} (set GLIMPSE_FIXTURES)`);
  const [header, first] = readFileSync(manifest, 'utf8').split('\n');
  return join(dir, first.split('\t')[header.split('\t').indexOf('relative_path')]);
}

function cameraFile(photo, out) {
  const vf =
    'scale=480:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2:color=gray,setsar=1,fps=30,format=yuv420p';
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-loop',
    '1',
    '-t',
    '2',
    '-i',
    photo,
    '-vf',
    vf,
    '-pix_fmt',
    'yuv420p',
    '-f',
    'yuv4mpegpipe',
    out,
  ]);
  return out;
}

/** Runs in the page: camera → session → WHIP → /ws?token=, measures for `seconds`, then DELETE. */
async function publishAndMeasure({ warmupMs, seconds }) {
  const media = await navigator.mediaDevices.getUserMedia({
    video: { width: 640, height: 480, frameRate: 30 },
    audio: false,
  });
  const session = await (
    await fetch('/api/v1/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  ).json();
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  pc.addTransceiver(media.getVideoTracks()[0], { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const t = setTimeout(resolve, 2000);
    pc.addEventListener(
      'icegatheringstatechange',
      () => pc.iceGatheringState === 'complete' && (clearTimeout(t), resolve()),
    );
  });
  const t0 = performance.now();
  const res = await fetch(session.whipUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp', authorization: `Bearer ${session.token}` },
    body: pc.localDescription.sdp,
  });
  if (res.status !== 201) throw new Error(`WHIP answered ${res.status}: ${await res.text()}`);
  const location = res.headers.get('location');
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });

  const latencies = [];
  const statuses = [];
  let firstResultMs = null;
  let measuring = false;
  const ws = new WebSocket(`ws://${window.location.host}/ws?token=${encodeURIComponent(session.token)}`);
  ws.onopen = () => ws.send(JSON.stringify({ type: 'subscribe', streamId: session.streamId }));
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    const now = Date.now();
    if (m.type === 'recognition' && m.streamId === session.streamId) {
      firstResultMs ??= performance.now() - t0;
      if (measuring) latencies.push(now - Date.parse(m.frame.capturedAt));
    } else if (m.type === 'stream' && m.stream.id === session.streamId && measuring) {
      statuses.push({
        at: now,
        processed: m.stream.framesProcessed,
        captured: m.stream.framesCaptured,
        skipped: m.stream.framesSkipped,
      });
    }
  };
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  measuring = false;
  const rtts = [];
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'remote-inbound-rtp' && s.kind === 'video' && s.roundTripTime != null)
      rtts.push(s.roundTripTime * 1000);
  });
  ws.close();
  await fetch(location, { method: 'DELETE', headers: { authorization: `Bearer ${session.token}` } });
  pc.close();
  media.getTracks().forEach((t) => t.stop());
  return { latencies, statuses, rttMs: rtts[0] ?? null, firstResultMs };
}

/** A Chromium whose camera is `y4m`, signed in with `key` when given. */
const openBrowser = (url, y4m, key) =>
  require('../test/support/chromium.js').openFakeCamera(key ? `${url}/#key=${encodeURIComponent(key)}` : url, y4m);

/** One stream's snapshots processed per second, from its status counters over the window. */
function processedPerSecond(statuses) {
  if (statuses.length < 2) return null;
  const a = statuses[0];
  const b = statuses[statuses.length - 1];
  return (b.processed - a.processed) / ((b.at - a.at) / 1000);
}

/**
 * @param {{ url: string, streams?: number[], seconds?: number, warmupMs?: number, dir?: string }} o
 * @returns {Promise<Array<{streams:number, latencyMs:{n,p50,p95}, e2eMs:{p50,p95}, rttMs:number|null, perStream:number[], perStreamMean:number, skippedShare:number, firstResultMs:number}>>}
 */
export async function benchLive(o) {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'glimpse-bench-live-'));
  const y4m = cameraFile(fixturePhoto(), join(dir, 'face.y4m'));
  const out = [];
  for (const n of o.streams ?? [1, 4]) {
    log(`${n} browser(s) streaming at once for ${o.seconds ?? 20} s...`);
    const browsers = [];
    try {
      for (let i = 0; i < n; i++) browsers.push(await openBrowser(o.url, y4m, o.key));
      const runs = await Promise.all(
        browsers.map((b) =>
          b.page.evaluate(publishAndMeasure, { warmupMs: o.warmupMs ?? 5000, seconds: o.seconds ?? 20 }),
        ),
      );
      const rtt = mean(runs.map((r) => r.rttMs).filter((x) => x != null));
      const latencies = runs.flatMap((r) => r.latencies);
      const half = rtt == null ? 0 : rtt / 2;
      const perStream = runs.map((r) => processedPerSecond(r.statuses));
      const last = runs.map((r) => r.statuses.at(-1)).filter(Boolean);
      const captured = last.reduce((a, s) => a + s.captured, 0);
      const skipped = last.reduce((a, s) => a + s.skipped, 0);
      out.push({
        streams: n,
        latencyMs: { n: latencies.length, p50: r1(pct(latencies, 50)), p95: r1(pct(latencies, 95)) },
        e2eMs: { p50: r1(pct(latencies, 50) + half), p95: r1(pct(latencies, 95) + half) },
        rttMs: r1(rtt),
        perStream: perStream.map(r1),
        perStreamMean: r1(mean(perStream.filter((x) => x != null))),
        skippedShare: captured ? r1((100 * skipped) / captured) : null,
        firstResultMs: r1(mean(runs.map((r) => r.firstResultMs).filter((x) => x != null))),
      });
    } finally {
      for (const b of browsers) await b.close();
    }
  }
  return out;
}

export function liveTable(rows) {
  const lines = [
    '| browsers streaming | e2e latency p50 / p95 | capture → page p50 / p95 | RTT | snapshots processed /s per stream | skipped | first result |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.streams} | ${r.e2eMs.p50} / ${r.e2eMs.p95} ms | ${r.latencyMs.p50} / ${r.latencyMs.p95} ms (n=${r.latencyMs.n}) | ${r.rttMs ?? '—'} ms | ` +
        `${r.perStreamMean} (${r.perStream.join(', ')}) | ${r.skippedShare}% | ${r.firstResultMs} ms |`,
    );
  }
  return lines.join('\n');
}

async function main() {
  let stack;
  let url = process.env.BENCH_LIVE_URL;
  let key = process.env.BENCH_LIVE_KEY ?? process.env.ADMIN_API_KEY;
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-bench-live-'));
  try {
    if (!url) {
      const { startStack, freePort } = require('../infra/scripts/stack.js');
      log('starting the stack (private NATS, temporary data)...');
      stack = await startStack({
        natsUrl: `nats://127.0.0.1:${await freePort()}`,
        port: 0,
        dataDir: join(dir, 'data'),
        recognizers: Number(process.env.RECOGNIZERS ?? 1),
        logSink: { write: () => true },
        env: { SESSION_SECRET: 'bench-live-'.padEnd(48, 'x') },
      });
      url = stack.url;
      key = stack.apiKey;
    }
    const rows = await benchLive({ url, key, dir, seconds: Number(process.env.BENCH_LIVE_SECONDS ?? 20) });
    const result = {
      at: new Date().toISOString(),
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      recognizers: Number(process.env.RECOGNIZERS ?? 1),
      rows,
    };
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    const file = join(ROOT, 'bench', 'results', `live-${result.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2));
    process.stdout.write(
      `\nLive camera (WHIP, 640x480 fake camera, ${result.cpus} CPU cores, ${result.recognizers} recognizer)\n\n${liveTable(rows)}\n\n(${file})\n`,
    );
  } finally {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`bench live failed: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}
