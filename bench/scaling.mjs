// Recognizer instance scaling, like for like: an instance is one recognizer with its own Python worker, and
// every worker runs the same engine processes (1, with 1 BLAS thread), so N instances run N times the same
// processes. Load: FrameEncode over NATS (detect + encode + crops; no matcher or gateway work), 4 frames in
// flight per instance. One stack per instance count, its rounds back to back (a fresh stack per round cost
// more start-up time than the rounds themselves). CPU per frame comes from /proc for every process: on a machine with fewer cores than
// engine processes the frames/s stop rising, and CPU-ms per frame per instance then measures what the
// coordination (NATS, the recognizers' queue group) costs, not the speed a host of its own would add.
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { drive, r1, spread } from './drive.mjs';
import { cpuPerFrame, cpuSnapshot, roles } from './cpu.mjs';

const require = createRequire(import.meta.url);
const { startStack, freePort, waitFor } = require('../infra/scripts/stack.js');
const INFLIGHT = 4;
const WORKER_ENV = { GLIMPSE_WORKER_PROCESSES: '1', GLIMPSE_WORKER_BLAS_THREADS: '1' };

/** A stack with `n` instances: startStack's recognizer and worker, plus n-1 more pairs. */
async function stackOf(n, dir) {
  const stack = await startStack({
    port: 0,
    natsUrl: `nats://127.0.0.1:${await freePort()}`,
    recognizers: 1,
    workerEnv: WORKER_ENV,
    dataDir: dir,
    logSink: { write() {} },
  });
  try {
    const recognizer = stack.specs.get('recognizer');
    const worker = stack.specs.get('worker');
    for (let i = 2; i <= n; i++) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const w = stack.spawn(`worker-${i}`, { ...worker, env: { ...worker.env, GLIMPSE_WORKER_PORT: String(port) } });
      await waitFor(
        `worker-${i}`,
        async () => (await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) })).ok,
        120_000,
        w,
      );
      stack.spawn(`recognizer-${i}`, {
        ...recognizer,
        env: { ...recognizer.env, WORKER_URLS: url, INSTANCE_ID: `recognizer-${i}` },
      });
    }
    return stack;
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

async function encodeRound(stack, frames, n, total) {
  const { FrameEncode } = require('../libs/contracts/dist');
  const { connect, headers } = require('nats');
  const nc = await connect({ servers: stack.natsUrl, name: 'bench-scaling' });
  try {
    const h = headers();
    h.set('Content-Type', 'image/jpeg');
    h.set('Glimpse-Crops', 'true');
    const by = new Map();
    const enc = { ms: 0, faces: 0 };
    const send = async (i) => {
      const reply = JSON.parse(
        new TextDecoder().decode(
          (await nc.request(FrameEncode.subject, frames[i % frames.length].jpeg, { headers: h, timeout: 30_000 })).data,
        ),
      );
      if (!reply.ok) throw new Error(`FrameEncode: ${reply.error.code} ${reply.error.message}`);
      by.set(reply.data.processedBy, (by.get(reply.data.processedBy) ?? 0) + 1);
      enc.ms += reply.data.timings.encodeMs ?? 0;
      enc.faces += reply.data.faces.length;
      return { faces: reply.data.faces.length };
    };
    // warm until every instance has answered: a recognizer takes work once it has joined the queue group
    for (let tries = 0; by.size < n && tries < 20; tries++) await drive(INFLIGHT * n, INFLIGHT * n * 2, send);
    if (by.size < n) throw new Error(`only ${by.size} of ${n} recognizer instances answered`);
    by.clear();
    Object.assign(enc, { ms: 0, faces: 0 });
    const groups = roles(stack);
    const before = cpuSnapshot(groups);
    const { trackedRatio, tracked, ...out } = await drive(INFLIGHT * n, total, send);
    const cpu = cpuPerFrame(before, cpuSnapshot(groups), total);
    return {
      ...out,
      cpuMsPerFrame: cpu,
      share: [...by.values()].sort((x, y) => y - x),
      encodeMsPerFace: enc.faces ? r1(enc.ms / enc.faces) : null,
    };
  } finally {
    await nc.close();
  }
}

/** `rounds` turns of each instance count; `perInstance` frames per instance per round. */
export async function benchScaling({ frames, counts, rounds, perInstance, dir, log }) {
  const out = counts.map((n) => ({ instances: n, rounds: [] }));
  for (const c of out) {
    const stack = await stackOf(c.instances, join(dir, `scaling-${c.instances}`));
    try {
      for (let r = 0; r < rounds; r++) {
        const res = await encodeRound(stack, frames, c.instances, perInstance * c.instances);
        c.rounds.push(res);
        log(`scaling round ${r + 1}/${rounds}, ${c.instances} instance(s): ${JSON.stringify(res)}`);
      }
    } finally {
      await stack.stop();
    }
  }
  for (const c of out) {
    c.framesPerS = spread(c.rounds.map((x) => x.framesPerS));
    c.requests = c.rounds.reduce((a, x) => a + x.n, 0);
    const mid = c.rounds.find((x) => x.framesPerS === c.framesPerS.median) ?? c.rounds[0];
    c.cpuMsPerFrame = mid.cpuMsPerFrame;
    c.p50 = mid.p50;
    c.p95 = mid.p95;
  }
  const cores = cpus().length;
  const best = Math.min(...out.map((c) => c.cpuMsPerFrame.all));
  return { cores, instances: out, ceilingFramesPerS: r1((cores * 1000) / best), perInstance, workerEnv: WORKER_ENV };
}
