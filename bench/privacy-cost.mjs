#!/usr/bin/env node
// What privacy costs on the hot path (docs/privacy.md "Measurements"): sequential POST /api/v1/recognize
// (store=true: match, store, seal the crop, as a camera frame takes it), p50/p95 per setting, one stack per
// setting, rounds alternating the order of settings to spread the machine's drift:
//   base    audit off, crops in plaintext (CROP_KEY_FILE=/dev/null), no blur
//   audit   the audit trail on (AUDIT_ENABLED, the default)
//   crops   crops sealed with AES-256-GCM (CROP_KEY, production's requirement)
//   blur    BLUR_UNKNOWN=true: every face of a 4-person group photo is nobody named, so each is blurred
// One-face photos measure audit and crops; 4-face group photos (fixture people side by side) measure blur,
// plain and with ?annotated=true (the boxed, named, blurred picture in the answer).
// A row of `npm run bench` (benchSection); alone: `npm run build`, then `node bench/privacy-cost.mjs`
// (PRIVACY_N requests per series and round, default 40; PRIVACY_ROUNDS, default 2).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WARMUP = 5;
const GROUP = 4;

const SETTINGS = {
  base: { AUDIT_ENABLED: 'false', CROP_KEY_FILE: '/dev/null', BLUR_UNKNOWN: 'false' },
  audit: { AUDIT_ENABLED: 'true', CROP_KEY_FILE: '/dev/null', BLUR_UNKNOWN: 'false' },
  crops: { AUDIT_ENABLED: 'false', BLUR_UNKNOWN: 'false' },
  blur: { AUDIT_ENABLED: 'false', CROP_KEY_FILE: '/dev/null', BLUR_UNKNOWN: 'true' },
};
/** Which series each setting is measured on: base on all, the others on what they change. */
const SERIES = {
  base: ['single', 'group', 'annotated'],
  audit: ['single'],
  crops: ['single'],
  blur: ['group', 'annotated'],
};

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const r1 = (x) => Math.round(x * 10) / 10;

/** The first photo of the first 20 fixture people, and group photos of 4 of them side by side. */
export async function photos(fixtures) {
  const sharp = require(require.resolve('sharp', { paths: [join(ROOT, 'services', 'gateway')] }));
  const people = readdirSync(fixtures, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .slice(0, 20);
  const single = people.map((p) => readFileSync(join(fixtures, p, readdirSync(join(fixtures, p)).sort()[0])));
  const group = [];
  for (let g = 0; g + GROUP <= single.length; g += GROUP) {
    const tiles = await Promise.all(
      single
        .slice(g, g + GROUP)
        .map(async (b, i) => ({ input: await sharp(b).resize(250, 250).toBuffer(), left: i * 250, top: 0 })),
    );
    group.push(
      await sharp({ create: { width: 250 * GROUP, height: 250, channels: 3, background: '#808080' } })
        .composite(tiles)
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
  }
  return { single, group };
}

async function round(ctx, setting, images, n) {
  const stack = await ctx.startStack({
    natsUrl: `nats://127.0.0.1:${await ctx.freePort()}`,
    port: 0,
    dataDir: mkdtempSync(join(ctx.tmp, 'privacy-')),
    env: SETTINGS[setting],
    logSink: { write: () => undefined },
  });
  const headers = { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'image/jpeg' };
  const out = {};
  try {
    for (const series of SERIES[setting]) {
      const list = series === 'single' ? images.single : images.group;
      const query = series === 'annotated' ? '?annotated=true' : '';
      out[series] = [];
      for (let i = 0; i < n + WARMUP; i++) {
        const t0 = performance.now();
        const res = await fetch(`${stack.url}/api/v1/recognize${query}`, {
          method: 'POST',
          headers,
          body: list[i % list.length],
        });
        if (res.status !== 200) throw new Error(`recognize (${setting}, ${series}): ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        if (i >= WARMUP) out[series].push(performance.now() - t0); // the first few warm the worker and the caches
      }
    }
  } finally {
    await stack.stop();
  }
  return out;
}

/** Every setting once per round, the order reversed every other round. */
async function measure(ctx, n, rounds) {
  const images = await photos(ctx.fixtures);
  const all = Object.fromEntries(Object.keys(SETTINGS).map((s) => [s, {}]));
  const order = Object.keys(SETTINGS);
  for (let r = 0; r < rounds; r++) {
    for (const setting of r % 2 ? [...order].reverse() : order) {
      ctx.log(`privacy-cost: round ${r + 1}/${rounds}, ${setting}`);
      const got = await round(ctx, setting, images, n);
      for (const [series, ms] of Object.entries(got)) (all[setting][series] ??= []).push(...ms);
    }
  }
  return all;
}

const ROWS = [
  ['audit trail (AUDIT_ENABLED)', 'single', 'audit'],
  ['crop encryption (CROP_KEY)', 'single', 'crops'],
  [`bystander blur (BLUR_UNKNOWN), ${GROUP} unnamed faces`, 'group', 'blur'],
  [`bystander blur + ?annotated=true, ${GROUP} unnamed faces`, 'annotated', 'blur'],
];

function table(all) {
  const rows = ROWS.map(([what, series, setting]) => {
    const off = all.base[series];
    const on = all[setting][series];
    return {
      what,
      series,
      off: { p50: r1(pct(off, 50)), p95: r1(pct(off, 95)) },
      on: { p50: r1(pct(on, 50)), p95: r1(pct(on, 95)) },
      n: on.length,
    };
  });
  const markdown = [
    '| what | off p50 ms | off p95 ms | on p50 ms | on p95 ms | p95 cost ms | n per side |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.what} | ${r.off.p50} | ${r.off.p95} | ${r.on.p50} | ${r.on.p95} | ${r1(r.on.p95 - r.off.p95)} | ${r.n} |`,
    ),
  ].join('\n');
  return { rows, markdown };
}

/**
 * The blur alone, in this process (libs/platform dist): what the matcher adds per stored crop (one face,
 * as the worker cuts it) and the gateway per annotated picture (the 4-face group photo, 3 faces blurred,
 * boxes and names drawn). Less noisy than the end-to-end rows on a shared machine.
 */
export async function blurAlone(images, n) {
  const { blurRegions } = require(join(ROOT, 'libs', 'platform', 'dist', 'index.js'));
  const sharp = require(require.resolve('sharp', { paths: [join(ROOT, 'services', 'gateway')] }));
  const crop = await sharp(images.single[0])
    .extract({ left: 50, top: 50, width: 150, height: 150 })
    .jpeg({ quality: 85 })
    .toBuffer();
  const faces = [0, 1, 2].map((i) => ({ x: 250 * (i + 1) + 75, y: 70, width: 100, height: 110 }));
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${250 * GROUP}" height="250">${faces.map((f) => `<rect x="${f.x}" y="${f.y}" width="${f.width}" height="${f.height}" fill="none" stroke="#f59e0b" stroke-width="2"/><text x="${f.x}" y="${f.y - 4}" font-size="14">#1</text>`).join('')}</svg>`,
  );
  const time = async (fn) => {
    for (let i = 0; i < 5; i++) await fn();
    const ms = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await fn();
      ms.push(performance.now() - t0);
    }
    return { p50: r1(pct(ms, 50)), p95: r1(pct(ms, 95)), n };
  };
  return [
    {
      what: 'stored crop (150x150, its own face blurred)',
      ...(await time(() => blurRegions(crop, [{ x: 37, y: 37, width: 76, height: 76 }]))),
    },
    {
      what: `annotated picture (${250 * GROUP}x250, 3 faces blurred, boxes and names)`,
      ...(await time(() => blurRegions(images.group[0], faces, { overlays: [svg] }))),
    },
  ];
}

/** A section of `npm run bench` (bench/run.mjs runs every ROW_MODULES entry that exports this). */
export async function benchSection(ctx) {
  const n = ctx.quick ? 15 : Number(process.env.PRIVACY_N ?? 40);
  const rounds = ctx.quick ? 1 : Number(process.env.PRIVACY_ROUNDS ?? 2);
  const { rows, markdown: endToEnd } = table(await measure(ctx, n, rounds));
  const alone = await blurAlone(await photos(ctx.fixtures), ctx.quick ? 50 : 200);
  const markdown = [
    endToEnd,
    '',
    'The blur alone (in one process, no stack):',
    '',
    '| blurred | p50 ms | p95 ms | n |',
    '|---|---|---|---|',
    ...alone.map((r) => `| ${r.what} | ${r.p50} | ${r.p95} | ${r.n} |`),
  ].join('\n');
  return {
    title: `Privacy on the hot path: sequential POST /api/v1/recognize (store=true) with each feature off and on (one stack per setting, ${rounds} alternating rounds)`,
    markdown,
    data: { endToEnd: rows, blurAlone: alone },
    targets: rows.map((r) => ({
      target: `${r.what}: recognize p95 cost`,
      measured: `${r1(r.on.p95 - r.off.p95)} ms`,
      met: null,
    })),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { startStack, freePort } = require('../infra/scripts/stack.js');
  const fixtures = resolve(process.env.GLIMPSE_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures', 'faces'));
  const log = (m) => process.stderr.write(`${m}\n`);
  benchSection({
    quick: process.env.QUICK === '1',
    tmp: mkdtempSync(join(tmpdir(), 'glimpse-privacy-bench-')),
    fixtures,
    log,
    startStack,
    freePort,
  })
    .then((s) => console.log(`\n${s.title}\n\n${s.markdown}\n`))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
