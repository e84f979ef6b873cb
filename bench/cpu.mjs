// CPU time of a running stack, read from /proc per process (children included: the worker's engine
// processes), so that a figure can say how many CPU-ms each frame cost and on which process.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { descendants, procStat } = require('./soak-util.js');

export { descendants };
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/** CPU time (ms) a process has used so far; 0 once it is gone. */
export function cpuMs(pid) {
  try {
    const f = procStat(pid);
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** The stack's processes by role; a worker's engine processes count with it. */
export function roles(stack) {
  const out = { workers: [], recognizers: [], matcher: [], gateway: [], nats: [], other: [] };
  for (const [name, child] of stack.procs) {
    if (name.startsWith('worker')) out.workers.push(child.pid, ...descendants(child.pid));
    else if (name.startsWith('recognizer')) out.recognizers.push(child.pid);
    else if (out[name]) out[name].push(child.pid);
    else out.other.push(child.pid);
  }
  return out;
}

/** `{ role: cpu ms }` now, the load generator (this process) included. */
export function cpuSnapshot(groups) {
  const own = process.cpuUsage();
  return {
    ...Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, pids.reduce((a, p) => a + cpuMs(p), 0)])),
    'load generator': (own.user + own.system) / 1000,
  };
}

/** CPU ms per frame by role between two snapshots, and the total. */
export function cpuPerFrame(before, after, frames) {
  const per = Object.fromEntries(
    Object.keys(after).map((k) => [k, Math.round(((after[k] - before[k]) / Math.max(1, frames)) * 100) / 100]),
  );
  return { ...per, all: Math.round(Object.values(per).reduce((a, b) => a + b, 0) * 100) / 100 };
}
