#!/usr/bin/env node
'use strict';
/**
 * `npm run crops -- rotate-key`: re-seals every face crop that is plaintext or sealed with an older key
 * with the matcher's current crop key (the first of CROP_KEY), through the gateway at GLIMPSE_URL
 * (default http://localhost:3000) with the admin key (ADMIN_API_KEY or data/admin-api-key).
 * `npm run crops -- new-key`: puts a fresh key first in the crop key file (CROP_KEY_FILE, else
 * data/crop-key), keeping the old ones for reading; restart Glimpse, then run rotate-key.
 * See docs/privacy.md "Rotating the crop key".
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const DATA = path.resolve(process.env.GLIMPSE_DATA_DIR ?? path.join(ROOT, 'data'));
const USAGE = 'usage: npm run crops -- rotate-key [--batch 500] | new-key';
const REQUEST_TIMEOUT_MS = 120_000;

function adminKey() {
  if (process.env.ADMIN_API_KEY) return process.env.ADMIN_API_KEY.trim();
  const file = path.join(DATA, 'admin-api-key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  throw new Error(`no admin key: set ADMIN_API_KEY or start Glimpse once (npm start writes ${file})`);
}

async function rotateBatch(limit) {
  const base = (process.env.GLIMPSE_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
  const res = await fetch(`${base}/api/v1/crops/rotate-key`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${adminKey()}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ limit }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST /api/v1/crops/rotate-key: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function rotateKey(limit) {
  let total = 0;
  for (;;) {
    const r = await rotateBatch(limit);
    if (r.keyId === null)
      throw new Error('the matcher has no CROP_KEY: crops stay plaintext (set CROP_KEY or CROP_KEY_FILE)');
    total += r.resealed;
    if (r.remaining === 0) {
      process.stdout.write(
        `re-sealed ${total} crops; every crop is now sealed with key ${r.keyId} (${JSON.stringify(r.byKey)})\n`,
      );
      return;
    }
    // nothing re-sealed but some remain: another rotation holds them, or they cannot be opened
    if (r.resealed === 0)
      throw new Error(`${r.remaining} crops could not be re-sealed now (${JSON.stringify(r.byKey)}); run again`);
  }
}

function newKey() {
  const file = process.env.CROP_KEY_FILE ?? path.join(DATA, 'crop-key');
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
  fs.writeFileSync(file, [crypto.randomBytes(32).toString('hex'), old].filter(Boolean).join('\n') + '\n', {
    mode: 0o600,
  });
  process.stdout.write(
    `new crop key written first in ${file} (older keys kept for reading);\nrestart Glimpse, then run: npm run crops -- rotate-key\n`,
  );
}

async function main([cmd, ...args]) {
  if (cmd === 'rotate-key') {
    const i = args.indexOf('--batch');
    const limit = i >= 0 ? Number(args[i + 1]) : 500;
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000) throw new Error('--batch must be 1..5000');
    await rotateKey(limit);
  } else if (cmd === 'new-key') {
    newKey();
  } else {
    throw new Error(USAGE);
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`crops: ${err.message}\n`);
  process.exit(1);
});
