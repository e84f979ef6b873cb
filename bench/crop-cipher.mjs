#!/usr/bin/env node
// Cost of sealing and opening one face crop (AES-256-GCM, services/matcher/src/crops/crop-cipher.ts),
// on the built matcher: `npm run build`, then `node bench/crop-cipher.mjs`. Prints µs per crop by size.
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { CropCipher } = require('../services/matcher/dist/crops/crop-cipher.js');

const cipher = new CropCipher({ CROP_KEY: randomBytes(32).toString('hex') });
const ROUNDS = Number(process.env.ROUNDS ?? 5000);

function time(fn) {
  for (let i = 0; i < 200; i++) fn(i); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1e3 / ROUNDS;
}

// face crops as the worker makes them: a few KB (small faces) to ~40 KB (a large face at quality 90)
for (const kb of [4, 10, 40]) {
  const jpeg = randomBytes(kb * 1024);
  const ids = Array.from({ length: 64 }, () => randomUUID());
  const sealed = ids.map((id) => cipher.seal(id, jpeg));
  const seal = time((i) => cipher.seal(ids[i % 64], jpeg));
  const open = time((i) => cipher.open(ids[i % 64], sealed[i % 64]));
  console.log(`${String(kb).padStart(3)} KB crop: seal ${seal.toFixed(1)} µs, open ${open.toFixed(1)} µs`);
}
