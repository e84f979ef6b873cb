#!/usr/bin/env node
/**
 * `npm run soak`: the load/soak test against a private stack on loopback (its own nats-server, free
 * ports). SOAK_MINUTES (10), SOAK_STREAMS (6), SOAK_CLIENTS (4), SNAPSHOT_FPS (2), SOAK_SAMPLE_S (5),
 * SOAK_MAX_QUEUE (4), RECOGNIZERS (1). Prints the table and writes bench/results/soak-<date>.json.
 * Exits 1 when a process's memory is GROWING or /healthz answered less than 99% of the time.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const soak = require('./soak-lib.js');

const o = soak.soakOptions();
const log = (m) => process.stdout.write(`soak        | ${m}\n`);
let stack;
const stop = async () => {
  await stack?.stop();
  stack = undefined;
};
process.on('SIGINT', () => void stop().then(() => process.exit(130)));

try {
  log('starting a private stack (nats, worker, matcher, recognizer, capture, gateway)...');
  stack = await soak.startSoakStack(o);
  const result = await soak.runSoak(stack, o, log);
  process.stdout.write(`\n${soak.formatSummary(result)}\n\n`);
  log(`wrote ${soak.writeResult(result)}`);
  const growing = Object.entries(result.memory)
    .filter(([, m]) => m.growing)
    .map(([p]) => p);
  if (growing.length) log(`memory GROWING in: ${growing.join(', ')}`);
  if ((result.healthz.successRatio ?? 0) < 0.99)
    log(`/healthz answered only ${result.healthz.successRatio} of the time`);
  process.exitCode = growing.length || (result.healthz.successRatio ?? 0) < 0.99 ? 1 : 0;
} catch (err) {
  log(`failed: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await stop();
}
