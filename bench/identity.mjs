#!/usr/bin/env node
// "Seen before?" accuracy as the crowd grows: `node bench/identity.mjs` (or `npm run bench -- identity`).
// Writes bench/results/identity.json and prints a table. IDENTITY_DISTRACTORS=0,100 picks the gallery
// sizes (default 0,100,1000); IDENTITY_RULES=person picks the Glimpse rules (default nearest,person).
//
// Protocol (fixed order, split by identity): people from ../shared/fixtures/distractors are enrolled
// first (one photo each, over the matcher's enroll contract); then the first photo of every fixture
// person goes through POST /api/v1/recognize (each must come out new), then every other photo (each
// must come out as the person its identity's first new face started), then group photos composed of
// three fixture faces (mirrored, so they are new pictures of known people) and "crowds" of six people
// nobody has seen (distractors left over from enrollment): two faces of one photo must never get one
// person. Each single photo is scored on its largest face; background faces
// are decided and stored like any other. The same plan runs through face_recognition called directly
// (nearest stored face < 0.6, every face stored) and through Glimpse under each MATCH_RULE.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PYTHON = join(ROOT, 'services/recognizer/worker/.venv/bin/python');
const FIXTURES = resolve(process.env.GLIMPSE_FIXTURES ?? join(ROOT, '..', 'shared', 'fixtures', 'faces'));
const DISTRACTORS = resolve(process.env.GLIMPSE_DISTRACTORS ?? join(FIXTURES, '..', 'distractors'));
const GROUPS = 20;
const GROUP_SIZE = 3;
const CROWDS = 20;
const CROWD_SIZE = 6;
const REQUEST_TIMEOUT_MS = 30_000;

/** The photos in protocol order, with group photos composed into `dir`. */
export async function makePlan(dir, distractorCount) {
  const sharp = require('sharp');
  const people = readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const photos = Object.fromEntries(people.map((p) => [p, readdirSync(join(FIXTURES, p)).filter((f) => f.endsWith('.jpg')).sort()]));
  const steps = [];
  for (const p of people) steps.push({ kind: 'first', identity: p, path: join(FIXTURES, p, photos[p][0]) });
  for (const p of people) for (const f of photos[p].slice(1)) steps.push({ kind: 'repeat', identity: p, path: join(FIXTURES, p, f) });
  for (let g = 0; g < GROUPS; g++) {
    const members = Array.from({ length: GROUP_SIZE }, (_, i) => people[(g * 7 + i * 13) % people.length]);
    const tiles = await Promise.all(members.map((p) => sharp(join(FIXTURES, p, photos[p][0])).flop().resize(250, 250).toBuffer()));
    const path = join(dir, `group-${g}.jpg`);
    await sharp({ create: { width: 250 * GROUP_SIZE, height: 250, channels: 3, background: '#777' } })
      .composite(tiles.map((input, i) => ({ input, left: 250 * i, top: 0 })))
      .jpeg({ quality: 90 })
      .toFile(path);
    steps.push({ kind: 'group', identity: members.join('+'), path });
  }
  const pool = readdirSync(DISTRACTORS).filter((f) => f.endsWith('.jpg')).sort().map((f) => join(DISTRACTORS, f));
  const distractors = pool.slice(0, distractorCount);
  // crowds of people nobody has seen: distractors that were not enrolled (none left at 1000)
  const unseen = pool.slice(distractorCount);
  for (let g = 0; g + CROWD_SIZE <= unseen.length && g < CROWDS * CROWD_SIZE; g += CROWD_SIZE) {
    const tiles = await Promise.all(unseen.slice(g, g + CROWD_SIZE).map((p) => sharp(p).resize(200, 200).toBuffer()));
    const path = join(dir, `crowd-${g}.jpg`);
    await sharp({ create: { width: 600, height: 400, channels: 3, background: '#777' } })
      .composite(tiles.map((input, i) => ({ input, left: 200 * (i % 3), top: 200 * Math.floor(i / 3) })))
      .jpeg({ quality: 90 })
      .toFile(path);
    steps.push({ kind: 'crowd', identity: `crowd-${g}`, path });
  }
  return { steps, distractors };
}

/** Scores one run: `results[i]` is the faces answered for `steps[i]` ({box, personId, isNew, decision}). */
export function score(steps, results) {
  const started = new Map(); // identity -> persons its own first faces started
  const t = { first: { n: 0, newOk: 0, matched: 0, unsure: 0, missed: 0 }, repeat: { n: 0, ok: 0, wrong: 0, unsure: 0, asNew: 0, missed: 0 }, group: { n: 0, duplicates: 0, faces: 0 }, crowd: { n: 0, duplicates: 0, faces: 0 } };
  steps.forEach((step, i) => {
    const faces = results[i];
    if (step.kind === 'group' || step.kind === 'crowd') {
      const g = t[step.kind];
      g.n++;
      g.faces += faces.length;
      const ids = faces.map((f) => f.personId).filter(Boolean);
      if (new Set(ids).size < ids.length) g.duplicates++;
      return;
    }
    const main = faces.reduce((a, f) => (!a || f.box.width * f.box.height > a.box.width * a.box.height ? f : a), null);
    const c = t[step.kind];
    c.n++;
    if (!main) return void c.missed++;
    const decision = main.decision ?? (main.isNew ? 'new' : 'match');
    if (decision === 'new') {
      if (!started.has(step.identity)) started.set(step.identity, new Set());
      started.get(step.identity).add(main.personId);
    }
    if (step.kind === 'first') {
      if (decision === 'new') c.newOk++;
      else if (decision === 'match') c.matched++;
      else c.unsure++;
    } else if (decision === 'match') {
      if (started.get(step.identity)?.has(main.personId)) c.ok++;
      else c.wrong++;
    } else if (decision === 'new') c.asNew++;
    else c.unsure++;
  });
  const pct = (a, n) => (n ? Math.round((1000 * a) / n) / 10 : null);
  return { ...t, firstNewPct: pct(t.first.newOk, t.first.n), repeatPct: pct(t.repeat.ok, t.repeat.n) };
}

/** IDENTITY_DETAIL=1: every photo's largest face as decided, to see which photos a rule gets wrong. */
function detail(steps, results) {
  if (process.env.IDENTITY_DETAIL !== '1') return {};
  const largest = (faces) => faces.reduce((a, f) => (!a || f.box.width * f.box.height > a.box.width * a.box.height ? f : a), null);
  return {
    detail: steps.map((s, i) => {
      const f = largest(results[i]);
      return { kind: s.kind, identity: s.identity, file: s.path.split('/').pop(), decision: f?.decision ?? null, person: f?.personNumber ?? null, distance: f?.distance ?? null };
    }),
  };
}

function baseline(plan, dir) {
  const file = join(dir, 'plan.json');
  writeFileSync(file, JSON.stringify({ distractors: plan.distractors, steps: plan.steps.map((s) => ({ path: s.path })) }));
  const out = JSON.parse(execFileSync(PYTHON, [join(ROOT, 'bench', 'identity_baseline.py'), file], { maxBuffer: 64 << 20 }).toString());
  return { enrolled: out.distractors, results: out.steps };
}

async function withTimeout(url, init) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

/** Distractor faces encoded once by the stack's worker, for enrollment over NATS in every stack. */
async function encodeDistractors(workerUrl, paths, cache) {
  for (const path of paths) {
    if (cache.has(path)) continue;
    const r = await withTimeout(`${workerUrl}/v1/encode?crops=true`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: readFileSync(path) });
    if (!r.ok) throw new Error(`worker encode ${path}: ${r.status} ${await r.text()}`);
    const faces = (await r.json()).faces;
    const largest = faces.reduce((a, f) => (!a || f.box.width * f.box.height > a.box.width * a.box.height ? f : a), null);
    cache.set(path, largest && { box: largest.box, encoding: largest.encoding, crop: largest.crop, quality: largest.quality });
  }
}

async function enroll(natsUrl, faces) {
  const { Bus } = require('../libs/platform/dist');
  const { PersonEnroll } = require('../libs/contracts/dist');
  const bus = await Bus.connect({ servers: natsUrl, name: 'bench-identity', logger: { log() {}, warn() {}, error() {} } });
  let enrolled = 0;
  try {
    for (const face of faces) {
      if (!face) continue;
      try {
        await bus.request(PersonEnroll.contract, { faces: [face] }, REQUEST_TIMEOUT_MS);
        enrolled++;
      } catch (err) {
        if (err?.code !== 'INVALID_IMAGE') throw err; // a face below the enrollment quality bar: not enrolled
      }
    }
  } finally {
    await bus.close();
  }
  return enrolled;
}

async function glimpse(rule, plan, dir, encoded, log) {
  const { startStack, freePort } = require('../infra/scripts/stack.js');
  const natsUrl = `nats://127.0.0.1:${await freePort()}`;
  const env = { MATCH_RULE: rule };
  const stack = await startStack({ port: 0, natsUrl, env, workerEnv: { GLIMPSE_WORKER_PROCESSES: '1' }, dataDir: mkdtempSync(join(dir, `data-${rule}-`)), logSink: { write() {} } });
  try {
    await encodeDistractors(stack.workerUrl, plan.distractors, encoded);
    const enrolled = await enroll(natsUrl, plan.distractors.map((p) => encoded.get(p)));
    log(`${rule}: ${enrolled} distractors enrolled; replaying ${plan.steps.length} photos`);
    const results = [];
    for (const step of plan.steps) {
      const r = await withTimeout(`${stack.url}/api/v1/recognize`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${stack.apiKey}` },
        body: readFileSync(step.path),
      });
      if (!r.ok) throw new Error(`recognize ${step.path}: ${r.status} ${await r.text()}`);
      results.push((await r.json()).faces);
    }
    return { enrolled, results };
  } finally {
    await stack.stop();
  }
}

function table(rows) {
  const head = ['distractors', 'what', 'first-time new', 'repeats recognised', 'repeats wrong person', 'unsure (first / repeat)', 'group photos with a duplicate (known / unseen people)'];
  const line = (r) => `| ${r.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map((r) => line([
    r.distractors, r.what,
    `${r.firstNewPct}% (${r.first.newOk}/${r.first.n})`,
    `${r.repeatPct}% (${r.repeat.ok}/${r.repeat.n})`,
    r.repeat.wrong,
    `${r.first.unsure} / ${r.repeat.unsure}`,
    `${r.group.duplicates}/${r.group.n} / ${r.crowd.n ? `${r.crowd.duplicates}/${r.crowd.n}` : '-'}`,
  ]))].join('\n');
}

export async function benchIdentity({ log = (m) => process.stderr.write(`identity: ${m}\n`) } = {}) {
  const counts = (process.env.IDENTITY_DISTRACTORS ?? '0,100,1000').split(',').map(Number);
  const rules = (process.env.IDENTITY_RULES ?? 'nearest,person').split(',');
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-identity-'));
  const encoded = new Map();
  const rows = [];
  try {
    for (const n of counts) {
      const plan = await makePlan(dir, n);
      const b = baseline(plan, dir);
      rows.push({ distractors: b.enrolled, what: 'face_recognition direct (nearest face < 0.6)', ...score(plan.steps, b.results) });
      log(JSON.stringify(rows.at(-1)));
      for (const rule of rules) {
        const g = await glimpse(rule, plan, dir, encoded, log);
        rows.push({ distractors: g.enrolled, what: `Glimpse MATCH_RULE=${rule}${rule === 'person' ? ' (default)' : ' (the seed rule)'}`, ...score(plan.steps, g.results), ...detail(plan.steps, g.results) });
        log(JSON.stringify(rows.at(-1)));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const text = table(rows);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/identity.json'), JSON.stringify({ when: new Date().toISOString(), rows, table: text }, null, 2));
  return { rows, table: text };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  benchIdentity()
    .then(({ table: text }) => console.log(`\n"Seen before?" on the fixture faces (bench/results/identity.json)\n\n${text}\n`))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
