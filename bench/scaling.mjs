// Recognizer instance scaling: one instance against two, the recognizer alone (FrameEncode over NATS:
// detect + encode + crops; no matcher or gateway work). One and two instances take turns, each round in
// a fresh stack, so that this VM's slow drifts in speed fall on both alike; the figure is the median of
// the rounds' ratios. Where the CPU went comes from /proc, per process, so a shortfall can be explained.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { drive, median, r1 } from './drive.mjs';

const require = createRequire(import.meta.url);
const { startStack, freePort } = require('../infra/scripts/stack.js');
const { descendants, procStat } = require('./soak-util.js');

/** Frames the load generator keeps outstanding per instance. */
const INFLIGHT = 4;
const ONE_WORKER_PROCESS = { GLIMPSE_WORKER_PROCESSES: '1', GLIMPSE_WORKER_BLAS_THREADS: '1' };
// Also measured through the whole stack by run.mjs. Each instance keeps the shipped CONCURRENCY (4): with 2,
// two instances left the engines idle now and then (frames in transit while the cores were busy) and
// scaled ~0.05x less.
export const ONE_INSTANCE = { label: 'BlazeFace, 1 instance, 1 worker process with 1 BLAS thread', recognizers: 1, workerEnv: ONE_WORKER_PROCESS, env: {} };
export const TWO_INSTANCES = { label: 'BlazeFace, 2 instances, 2 worker processes with 1 BLAS thread each', recognizers: 2, workerEnv: { ...ONE_WORKER_PROCESS, GLIMPSE_WORKER_PROCESSES: '2' }, env: {} };

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/** CPU time (ms) a process has used so far; 0 once it is gone. */
function cpuMs(pid) {
  try {
    const f = procStat(pid);
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** The stack's processes by role: worker (its HTTP process apart from its engine processes), recognizers, NATS, the rest. */
function roles(stack) {
  const out = { worker: [], 'worker engines': [], recognizers: [], nats: [], other: [] };
  for (const [name, child] of stack.procs) {
    if (name === 'worker') out.worker.push(child.pid), out['worker engines'].push(...descendants(child.pid));
    else if (name.startsWith('recognizer')) out.recognizers.push(child.pid);
    else if (name === 'nats') out.nats.push(child.pid);
    else out.other.push(child.pid);
  }
  return out;
}

function cpuSnapshot(groups) {
  const own = process.cpuUsage();
  return { ...Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, pids.reduce((a, p) => a + cpuMs(p), 0)])), 'load generator': (own.user + own.system) / 1000 };
}

/**
 * FrameEncode with crops, `inflight` outstanding, from a bare nats.js client (it takes little of the
 * shared cores); after a warm-up, `total` frames and the CPU each role used for them.
 */
async function encodeRound(stack, frames, total, inflight) {
  const { FrameEncode } = require('../libs/contracts/dist');
  const { connect, headers } = require('nats');
  const nc = await connect({ servers: stack.natsUrl, name: 'bench-scaling' });
  try {
    const h = headers();
    h.set('Content-Type', 'image/jpeg');
    h.set('Glimpse-Crops', 'true');
    const send = async (i) => {
      const reply = JSON.parse(new TextDecoder().decode((await nc.request(FrameEncode.subject, frames[i % frames.length].jpeg, { headers: h, timeout: 30_000 })).data));
      if (!reply.ok) throw new Error(`FrameEncode: ${reply.error.code} ${reply.error.message}`);
      return { faces: reply.data.faces.length };
    };
    await drive(inflight, inflight * 4, send); // every engine process and instance warm
    const groups = roles(stack);
    const before = cpuSnapshot(groups);
    const { trackedRatio, ...out } = await drive(inflight, total, send);
    const after = cpuSnapshot(groups);
    const cpuMsPerFrame = Object.fromEntries(Object.keys(after).map((k) => [k, Math.round(((after[k] - before[k]) / total) * 100) / 100]));
    return { ...out, cpuMsPerFrame };
  } finally {
    await nc.close();
  }
}

/** `rounds` turns of one instance then two; `perInstance` frames per instance per round, INFLIGHT per instance. */
export async function benchScaling({ frames, rounds, perInstance, dir, log }) {
  const out = { one: { ...ONE_INSTANCE, rounds: [] }, two: { ...TWO_INSTANCES, rounds: [] } };
  for (let r = 0; r < rounds; r++) {
    for (const [id, cfg] of Object.entries(out)) {
      const stack = await startStack({ port: 0, natsUrl: `nats://127.0.0.1:${await freePort()}`, recognizers: cfg.recognizers, env: cfg.env, workerEnv: cfg.workerEnv, dataDir: join(dir, `scaling-${id}-${r}`), logSink: { write() {} } });
      try {
        const res = await encodeRound(stack, frames, perInstance * cfg.recognizers, INFLIGHT * cfg.recognizers);
        cfg.rounds.push(res);
        log(`scaling round ${r + 1}/${rounds}, ${cfg.recognizers} instance(s): ${JSON.stringify(res)}`);
      } finally {
        await stack.stop();
      }
    }
  }
  out.ratios = out.one.rounds.map((one, i) => Math.round((out.two.rounds[i].framesPerS / one.framesPerS) * 100) / 100);
  out.ratio = median(out.ratios);
  return out;
}

const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
const f2 = (x) => x.toFixed(2);
/** The round whose frames/s is the median of a configuration's rounds. */
const medianRound = (c) => {
  const mid = median(c.rounds.map((r) => r.framesPerS));
  return c.rounds.find((r) => r.framesPerS === mid);
};

/** The table and what the CPU figures say about the ceiling. */
export function scalingLines(s, perInstance, table) {
  const cols = Object.keys(s.one.rounds[0].cpuMsPerFrame);
  const row = (c) => {
    const r = medianRound(c);
    return [c.label, r.framesPerS, c.rounds.map((x) => x.framesPerS).join(', '), r.p50, r.p95, ...cols.map((k) => f2(r.cpuMsPerFrame[k])), f2(sum(r.cpuMsPerFrame)), r1((sum(r.cpuMsPerFrame) * r.framesPerS) / 1000)];
  };
  const one = medianRound(s.one);
  const two = medianRound(s.two);
  // one instance is bound by its single worker process; two must fit every process into the two cores
  const bound = one.cpuMsPerFrame.worker + one.cpuMsPerFrame['worker engines'];
  const ceiling = (2 * bound) / sum(two.cpuMsPerFrame);
  return [
    `\nRecognizer instance scaling (FrameEncode over NATS: detect + encode + crops, no matcher or gateway work; 640x480 one face; ${INFLIGHT} frames in flight and ${perInstance} frames per instance per round; one and two instances take turns, each round in a fresh stack; CPU ms per frame from /proc)\n`,
    table(['what', 'frames/s (median)', 'rounds frames/s', 'p50 ms', 'p95 ms', ...cols.map((k) => `CPU ${k}`), 'CPU all', 'cores busy'], [row(s.one), row(s.two)]),
    `\n2 instances / 1: ${s.ratio.toFixed(2)}x, the median of the rounds' ratios (${s.ratios.join(', ')}). One instance is bound by its one worker process (${f2(bound)} ms per frame) while the recognizer, NATS and the load generator run on the other core; two instances must fit all ${f2(sum(two.cpuMsPerFrame))} ms per frame into the two cores, so they can reach at most ${f2(ceiling)}x on this machine.`,
  ];
}
