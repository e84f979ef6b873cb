#!/usr/bin/env node
// Writes libs/contracts/schemas/* from the built contracts (run `npm run schemas -w @glimpse/contracts`,
// which builds first). Stale *.schema.json files are removed, so a deleted contract loses its schema.
const { mkdirSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { generateSchemaFiles } = require('../dist/schemas/generate');

const dir = join(__dirname, '..', 'schemas');
mkdirSync(dir, { recursive: true });
const files = generateSchemaFiles();
for (const name of readdirSync(dir)) if (name.endsWith('.schema.json') && !(name in files)) rmSync(join(dir, name));
for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
console.log(`wrote ${Object.keys(files).length} files to ${dir}`);
