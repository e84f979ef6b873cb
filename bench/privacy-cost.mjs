#!/usr/bin/env node
// What the audit trail costs on the hot path: recognize latency (p50/p95, sequential requests) with the
// audit trail on and off (AUDIT_ENABLED), on one stack per setting, alternating rounds to spread drift.
// Crops are sealed either way (CROP_KEY from npm start's key file); bench/crop-cipher.mjs measures that.
// `npm run build`, then `node bench/privacy-cost.mjs` (PRIVACY_N requests per round, default 60).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { startStack, freePort } = require('../infra/scripts/stack.js');
const N = Number(process.env.PRIVACY_N ?? 60);
const ROUNDS = Number(process.env.PRIVACY_ROUNDS ?? 2);
const fixtures = resolve(process.env.GLIMPSE_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures', 'faces'));
const people = readdirSync(fixtures, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort().slice(0, 20);
const photos = people.map((p) => readFileSync(join(fixtures, p, readdirSync(join(fixtures, p)).sort()[0])));

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function round(audit) {
  const stack = await startStack({
    natsUrl: `nats://127.0.0.1:${await freePort()}`, port: 0, dataDir: mkdtempSync(join(tmpdir(), 'glimpse-privacy-bench-')),
    env: { AUDIT_ENABLED: String(audit) }, logSink: { write: () => undefined },
  });
  const headers = { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'image/jpeg' };
  const times = [];
  try {
    for (let i = 0; i < N + 5; i++) {
      const t0 = performance.now();
      // store=true: the full hot path (match, store the face, seal its crop), as a camera frame takes it
      const res = await fetch(`${stack.url}/api/v1/recognize`, { method: 'POST', headers, body: photos[i % photos.length] });
      if (res.status !== 200) throw new Error(`recognize: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      if (i >= 5) times.push(performance.now() - t0); // the first few warm the worker and the caches
    }
    if (audit) {
      const a = await (await fetch(`${stack.url}/api/v1/audit?pageSize=1`, { headers })).json();
      process.stderr.write(`  audit records stored: ${a.total}\n`);
    }
  } finally {
    await stack.stop();
  }
  return times;
}

const all = { on: [], off: [] };
for (let r = 0; r < ROUNDS; r++) {
  for (const audit of r % 2 ? [true, false] : [false, true]) {
    process.stderr.write(`round ${r + 1}, audit ${audit ? 'on' : 'off'}\n`);
    all[audit ? 'on' : 'off'].push(...(await round(audit)));
  }
}
for (const [k, xs] of Object.entries(all)) {
  console.log(`audit ${k.padEnd(3)}: recognize p50 ${pct(xs, 50).toFixed(1)} ms, p95 ${pct(xs, 95).toFixed(1)} ms (n=${xs.length})`);
}
