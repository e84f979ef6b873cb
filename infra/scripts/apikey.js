#!/usr/bin/env node
'use strict';
/**
 * `npm run apikey -- create --name ci --scopes read,write` | `list` | `delete <id>`: manages API keys
 * through the gateway at GLIMPSE_URL (default http://localhost:3000), with the admin key from
 * ADMIN_API_KEY or the file data/admin-api-key (GLIMPSE_DATA_DIR/admin-api-key).
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const USAGE = 'usage: npm run apikey -- create --name <name> [--scopes read,write,admin] | list | delete <id>';

function adminKey() {
  if (process.env.ADMIN_API_KEY) return process.env.ADMIN_API_KEY.trim();
  const file = path.join(path.resolve(process.env.GLIMPSE_DATA_DIR ?? path.join(ROOT, 'data')), 'admin-api-key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  throw new Error(`no admin key: set ADMIN_API_KEY or start Glimpse once (npm start writes ${file})`);
}

function option(args, name) {
  const i = args.indexOf(`--${name}`);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

async function call(method, route, body) {
  const base = (process.env.GLIMPSE_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { Authorization: `Bearer ${adminKey()}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) {
    let detail = text;
    try {
      detail = JSON.parse(text).detail ?? text;
    } catch {
      // not problem+json: the raw text is the detail
    }
    throw new Error(`${method} ${route}: ${res.status} ${detail}`);
  }
  return text ? JSON.parse(text) : null;
}

async function main(argv) {
  const [cmd, ...args] = argv;
  if (cmd === 'create') {
    const name = option(args, 'name');
    const scopes = (option(args, 'scopes') ?? 'read')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!name) throw new Error(USAGE);
    const k = await call('POST', '/api/v1/api-keys', { name, scopes });
    process.stdout.write(
      `created API key ${k.id} (${k.name}: ${k.scopes.join(', ')}); it is shown only this once:\n${k.key}\n`,
    );
  } else if (cmd === 'list') {
    const { items } = await call('GET', '/api/v1/api-keys');
    if (items.length === 0) process.stdout.write('no API keys\n');
    for (const k of items) {
      process.stdout.write(
        `${k.id}  ${k.name}  [${k.scopes.join(',')}]  created ${k.createdAt}  last used ${k.lastUsedAt ?? 'never'}\n`,
      );
    }
  } else if (cmd === 'delete' && args[0]) {
    await call('DELETE', `/api/v1/api-keys/${encodeURIComponent(args[0])}`);
    process.stdout.write(`deleted API key ${args[0]}\n`);
  } else {
    throw new Error(USAGE);
  }
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`apikey: ${err.message}\n`);
  process.exit(1);
});
