// Live streams at the pace capture sends them: every stream takes a snapshot SNAPSHOT_FPS times a second
// from its own video (bench/frames.mjs: a face that moves) and sends it as FrameRecognize over NATS with the
// headers capture sets (store=true); while a stream's previous snapshot is still in flight, the new one is
// skipped, exactly as the capture service does. Streams start out of step, as real cameras do. The stack runs
// the shipped defaults on a pre-loaded PGlite gallery. Figures per setting: each stream's latency (snapshot
// taken → reply), skipped snapshots, CPU-ms per processed frame (all of the stack's processes, from /proc)
// and the share of faces that reused a tracked encoding at that pace.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pct, r1, stats } from './drive.mjs';
import { cpuPerFrame, cpuSnapshot, roles } from './cpu.mjs';
import { videoFrameAt } from './frames.mjs';
import { preloadGallery } from './gallery.mjs';

const require = createRequire(import.meta.url);
const { startStack, freePort } = require('../infra/scripts/stack.js');
const RECOGNIZE_TIMEOUT_MS = 30_000;
const WARMUP_S = 3;

async function paced(bus, clips, fps, streams, seconds, tag) {
  const { FrameRecognize } = require('../libs/contracts/dist');
  const period = 1000 / fps;
  const per = Array.from({ length: streams }, () => ({
    captured: 0,
    skipped: 0,
    processed: 0,
    failed: 0,
    lat: [],
    faces: 0,
    tracked: 0,
  }));
  const t0 = performance.now() + WARMUP_S * 1000;
  const end = t0 + seconds * 1000;
  const inflight = new Set();
  await Promise.all(
    per.map(async (st, s) => {
      await new Promise((r) => setTimeout(r, (s * period) / streams)); // out of step
      let busy = false;
      let seq = 0;
      await new Promise((done) => {
        const tick = () => {
          const now = performance.now();
          if (now >= end) return done(clearInterval(timer));
          const measuring = now >= t0;
          if (measuring) st.captured++;
          if (busy) return void (measuring && st.skipped++);
          busy = true;
          const jpeg = videoFrameAt(clips[s % clips.length], (now - t0) / 1000 + WARMUP_S).jpeg;
          const headers = {
            'Glimpse-Source': `bench_${tag}_${s}`,
            'Glimpse-Seq': String(seq++),
            'Glimpse-Frame-Id': randomBytes(12).toString('base64url'),
            'Glimpse-Captured-At': new Date().toISOString(),
            'Glimpse-Store': 'true',
            'Content-Type': 'image/jpeg',
          };
          const p = bus
            .requestBinary(FrameRecognize.contract, jpeg, headers, RECOGNIZE_TIMEOUT_MS)
            .then((reply) => {
              if (!measuring) return;
              st.processed++;
              st.lat.push(performance.now() - now);
              st.faces += reply.faces.length;
              st.tracked += reply.timings.trackedFaces ?? 0;
            })
            .catch(() => void (measuring && st.failed++))
            .finally(() => {
              busy = false;
              inflight.delete(p);
            });
          inflight.add(p);
        };
        const timer = setInterval(tick, period);
        tick();
      });
    }),
  );
  await Promise.all(inflight);
  return per;
}

/**
 * @param ctx   the run's context (frames.videos, tmp, log, distractors)
 * @param opts  { fpsList, streamsList, seconds, gallery }
 */
export async function benchPaced(ctx, { fpsList, streamsList, seconds, gallery }) {
  const dataDir = join(ctx.tmp, 'data-paced');
  if (gallery) await preloadGallery({ n: gallery, dataDir, distractors: ctx.distractors, log: ctx.log });
  const rows = [];
  // one stack for every setting: the bench plays the capture service, so SNAPSHOT_FPS is its pace here
  const stack = await startStack({
    port: 0,
    natsUrl: `nats://127.0.0.1:${await freePort()}`,
    dataDir,
    logSink: { write() {} },
  });
  const { Bus } = require('../libs/platform/dist');
  const bus = await Bus.connect({
    servers: stack.natsUrl,
    name: 'bench-paced',
    logger: { log() {}, warn() {}, error() {} },
  });
  try {
    for (const fps of fpsList) {
      for (const streams of streamsList) {
        const groups = roles(stack);
        let before;
        const timer = setTimeout(() => (before = cpuSnapshot(groups)), WARMUP_S * 1000);
        const per = await paced(bus, ctx.frames.videos, fps, streams, seconds, `${fps}x${streams}`);
        const after = cpuSnapshot(groups);
        clearTimeout(timer);
        const processed = per.reduce((a, s) => a + s.processed, 0);
        const captured = per.reduce((a, s) => a + s.captured, 0);
        const faces = per.reduce((a, s) => a + s.faces, 0);
        const perStream = per.map((s) => ({
          p50: r1(pct(s.lat, 50)),
          p95: r1(pct(s.lat, 95)),
          skipped: s.skipped,
          captured: s.captured,
          failed: s.failed,
        }));
        const row = {
          fps,
          streams,
          seconds,
          snapshots: captured,
          processed,
          failed: per.reduce((a, s) => a + s.failed, 0),
          skippedShare: captured ? r1((100 * per.reduce((a, s) => a + s.skipped, 0)) / captured) : null,
          latency: stats(per.flatMap((s) => s.lat)),
          worstStreamP95: r1(Math.max(...perStream.map((s) => s.p95 ?? 0))),
          perStream,
          facesPerFrame: processed ? Math.round((faces / processed) * 100) / 100 : null,
          trackedShare: faces ? r1((100 * per.reduce((a, s) => a + s.tracked, 0)) / faces) : null,
          cpuMsPerFrame: before ? cpuPerFrame(before, after, processed) : null,
        };
        rows.push(row);
        ctx.log(`paced ${fps}/s x ${streams}: ${JSON.stringify({ ...row, perStream: undefined })}`);
      }
    }
  } finally {
    await bus.close();
    await stack.stop();
  }
  return rows;
}
