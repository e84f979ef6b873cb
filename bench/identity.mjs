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
  const people = readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const photos = Object.fromEntries(
    people.map((p) => [
      p,
      readdirSync(join(FIXTURES, p))
        .filter((f) => f.endsWith('.jpg'))
        .sort(),
    ]),
  );
  const steps = [];
  for (const p of people) steps.push({ kind: 'first', identity: p, path: join(FIXTURES, p, photos[p][0]) });
  for (const p of people)
    for (const f of photos[p].slice(1)) steps.push({ kind: 'repeat', identity: p, path: join(FIXTURES, p, f) });
  for (let g = 0; g < GROUPS; g++) {
    const members = Array.from({ length: GROUP_SIZE }, (_, i) => people[(g * 7 + i * 13) % people.length]);
    const tiles = await Promise.all(
      members.map((p) =>
        sharp(join(FIXTURES, p, photos[p][0]))
          .flop()
          .resize(250, 250)
          .toBuffer(),
      ),
    );
    const path = join(dir, `group-${g}.jpg`);
    await sharp({ create: { width: 250 * GROUP_SIZE, height: 250, channels: 3, background: '#777' } })
      .composite(tiles.map((input, i) => ({ input, left: 250 * i, top: 0 })))
      .jpeg({ quality: 90 })
      .toFile(path);
    steps.push({ kind: 'group', identity: members.join('+'), path });
  }
  const pool = readdirSync(DISTRACTORS)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => join(DISTRACTORS, f));
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
  const t = {
    first: { n: 0, newOk: 0, matched: 0, unsure: 0, missed: 0 },
    repeat: { n: 0, ok: 0, wrong: 0, unsure: 0, asNew: 0, missed: 0 },
    group: { n: 0, duplicates: 0, faces: 0 },
    crowd: { n: 0, duplicates: 0, faces: 0 },
  };
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
  const largest = (faces) =>
    faces.reduce((a, f) => (!a || f.box.width * f.box.height > a.box.width * a.box.height ? f : a), null);
  return {
    detail: steps.map((s, i) => {
      const f = largest(results[i]);
      return {
        kind: s.kind,
        identity: s.identity,
        file: s.path.split('/').pop(),
        decision: f?.decision ?? null,
        person: f?.personNumber ?? null,
        distance: f?.distance ?? null,
      };
    }),
  };
}

function baseline(plan, dir) {
  const file = join(dir, 'plan.json');
  writeFileSync(
    file,
    JSON.stringify({ distractors: plan.distractors, steps: plan.steps.map((s) => ({ path: s.path })) }),
  );
  const out = JSON.parse(
    execFileSync(PYTHON, [join(ROOT, 'bench', 'identity_baseline.py'), file], { maxBuffer: 64 << 20 }).toString(),
  );
  return { enrolled: out.distractors, results: out.steps };
}

async function withTimeout(url, init) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

/** Distractor faces encoded once by the stack's worker, for enrollment over NATS in every stack. */
async function encodeDistractors(workerUrl, paths, cache) {
  for (const path of paths) {
    if (cache.has(path)) continue;
    const r = await withTimeout(`${workerUrl}/v1/encode?crops=true`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: readFileSync(path),
    });
    if (!r.ok) throw new Error(`worker encode ${path}: ${r.status} ${await r.text()}`);
    const faces = (await r.json()).faces;
    const largest = faces.reduce(
      (a, f) => (!a || f.box.width * f.box.height > a.box.width * a.box.height ? f : a),
      null,
    );
    cache.set(
      path,
      largest && { box: largest.box, encoding: largest.encoding, crop: largest.crop, quality: largest.quality },
    );
  }
}

async function enroll(natsUrl, faces) {
  const { Bus } = require('../libs/platform/dist');
  const { PersonEnroll } = require('../libs/contracts/dist');
  const bus = await Bus.connect({
    servers: natsUrl,
    name: 'bench-identity',
    logger: { log() {}, warn() {}, error() {} },
  });
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
  const stack = await startStack({
    port: 0,
    natsUrl,
    env,
    workerEnv: { GLIMPSE_WORKER_PROCESSES: '1' },
    dataDir: mkdtempSync(join(dir, `data-${rule}-`)),
    logSink: { write() {} },
  });
  try {
    await encodeDistractors(stack.workerUrl, plan.distractors, encoded);
    const enrolled = await enroll(
      natsUrl,
      plan.distractors.map((p) => encoded.get(p)),
    );
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

// Live video (IDENTITY_TRACKS=1, or IDENTITY_SECTIONS=tracks for this section alone): every fixture person
// with two photos walks past one camera twice. A pass is 4 snapshots of one photo: blurred (a poor first
// look), then three slightly shifted and rescaled sharp frames. First passes (photo 1) of everyone, then
// returning passes (photo 2). Sent as stream frames over NATS (FrameRecognize, the capture's path), once
// with MATCH_TRACKS=true (decided per track) and once with false (per frame). Scored per pass (track):
// a first pass must end as exactly one person, new and nobody's else; a returning pass must give the
// person its first pass started to every face it names, and name someone. An empty snapshot separates
// passes (without it the worker may follow a blurred face into the next person's pass).
const TRACK_PASS_FRAMES = 4;

async function passFrames(path) {
  const sharp = require('sharp');
  const shifted = (k) =>
    sharp(path)
      .extract({ left: 2 * k, top: 2 * k, width: 240, height: 240 })
      .resize(250, 250)
      .jpeg({ quality: 90 })
      .toBuffer();
  const frames = [await sharp(path).blur(3).jpeg({ quality: 80 }).toBuffer()];
  for (let k = 1; k < TRACK_PASS_FRAMES; k++) frames.push(await shifted(k));
  return frames;
}

async function trackPasses(tracks, passes, log) {
  const { startStack, freePort } = require('../infra/scripts/stack.js');
  const { Bus } = require('../libs/platform/dist');
  const { FrameRecognize } = require('../libs/contracts/dist');
  const natsUrl = `nats://127.0.0.1:${await freePort()}`;
  const stack = await startStack({
    port: 0,
    natsUrl,
    env: { MATCH_TRACKS: String(tracks) },
    workerEnv: { GLIMPSE_WORKER_PROCESSES: '1' },
    dataDir: mkdtempSync(join(tmpdir(), 'glimpse-tracks-')),
    logSink: { write() {} },
  });
  const bus = await Bus.connect({
    servers: natsUrl,
    name: 'bench-tracks',
    logger: { log() {}, warn() {}, error() {} },
  });
  const largest = (faces) =>
    faces.reduce((a, f) => (!a || f.box.width * f.box.height > a.box.width * a.box.height ? f : a), null);
  let seq = 0;
  try {
    log(`tracks=${tracks}: ${passes.length} passes`);
    const send = async (body) => {
      const headers = {
        'Glimpse-Source': 'bench-tracks',
        'Glimpse-Seq': String(seq++),
        'Glimpse-Captured-At': new Date().toISOString(),
        'Content-Type': 'image/jpeg',
      };
      return (await bus.requestBinary(FrameRecognize.contract, body, headers, REQUEST_TIMEOUT_MS)).faces;
    };
    // an empty snapshot between passes, as when one person has left and the next is not yet in view
    const empty = await require('sharp')({ create: { width: 250, height: 250, channels: 3, background: '#777' } })
      .jpeg()
      .toBuffer();
    const out = [];
    for (const pass of passes) {
      const faces = [];
      for (const body of pass.frames) faces.push(largest(await send(body)));
      out.push(faces);
      await send(empty);
    }
    return out;
  } finally {
    await bus.close();
    await stack.stop();
  }
}

export function scoreTracks(passes, results) {
  const started = new Map(); // identity -> the one person its first pass created
  const owner = new Map(); // person -> identity whose first pass created it
  const t = {
    first: { n: 0, onePerson: 0, persons: 0 },
    returning: { n: 0, recognised: 0, wrong: 0, frames: 0, framesRight: 0 },
  };
  passes.forEach((pass, i) => {
    const faces = results[i].filter(Boolean);
    const named = new Set(faces.map((f) => f.personId).filter(Boolean));
    if (pass.kind === 'first') {
      t.first.n++;
      const created = faces.filter((f) => f.decision === 'new').map((f) => f.personId);
      t.first.persons += created.length;
      if (created.length === 1 && named.size === 1 && !owner.has(created[0])) {
        t.first.onePerson++;
        started.set(pass.identity, created[0]);
        owner.set(created[0], pass.identity);
      }
      return;
    }
    t.returning.n++;
    const own = started.get(pass.identity);
    t.returning.frames += results[i].length;
    t.returning.framesRight += faces.filter((f) => own && f.personId === own).length;
    if (own && named.size === 1 && named.has(own)) t.returning.recognised++;
    else if ([...named].some((p) => p !== own)) t.returning.wrong++;
  });
  const pct = (a, n) => (n ? Math.round((1000 * a) / n) / 10 : null);
  return {
    ...t,
    onePersonPct: pct(t.first.onePerson, t.first.n),
    recognisedPct: pct(t.returning.recognised, t.returning.n),
    framesRightPct: pct(t.returning.framesRight, t.returning.frames),
  };
}

export async function benchTracks({ log = (m) => process.stderr.write(`identity: ${m}\n`) } = {}) {
  const people = readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const photos = people
    .map((p) => ({
      p,
      files: readdirSync(join(FIXTURES, p))
        .filter((f) => f.endsWith('.jpg'))
        .sort(),
    }))
    .filter((x) => x.files.length > 1);
  const passes = [];
  for (const kind of ['first', 'returning']) {
    for (const { p, files } of photos)
      passes.push({ kind, identity: p, frames: await passFrames(join(FIXTURES, p, files[kind === 'first' ? 0 : 1])) });
  }
  const rows = [];
  for (const tracks of [true, false]) {
    const results = await trackPasses(tracks, passes, log);
    // IDENTITY_DETAIL=1: every pass's decisions, as `decision:personNumber` per frame
    const detail =
      process.env.IDENTITY_DETAIL === '1'
        ? {
            detail: passes.map((p, i) => ({
              kind: p.kind,
              identity: p.identity,
              frames: results[i].map((f) =>
                f ? `${f.decision}:${f.personNumber ?? f.guess?.personNumber ?? '-'}` : 'none',
              ),
            })),
          }
        : {};
    rows.push({
      what: tracks ? 'MATCH_TRACKS=true (per track, default)' : 'MATCH_TRACKS=false (per frame)',
      ...scoreTracks(passes, results),
      ...detail,
    });
    log(JSON.stringify(rows.at(-1)));
  }
  const line = (r) => `| ${r.join(' | ')} |`;
  const text = [
    line([
      'decisions',
      'first passes: exactly one new person',
      'persons created per first pass',
      'returning passes recognised',
      'returning passes naming a wrong person',
      'returning frames given the right person',
    ]),
    line(new Array(6).fill('---')),
    ...rows.map((r) =>
      line([
        r.what,
        `${r.onePersonPct}% (${r.first.onePerson}/${r.first.n})`,
        (r.first.persons / r.first.n).toFixed(2),
        `${r.recognisedPct}% (${r.returning.recognised}/${r.returning.n})`,
        r.returning.wrong,
        `${r.framesRightPct}% (${r.returning.framesRight}/${r.returning.frames})`,
      ]),
    ),
  ].join('\n');
  return { rows, table: text };
}

function table(rows) {
  const head = [
    'distractors',
    'what',
    'first-time new',
    'repeats recognised',
    'repeats wrong person',
    'unsure (first / repeat)',
    'group photos with a duplicate (known / unseen people)',
  ];
  const line = (r) => `| ${r.join(' | ')} |`;
  return [
    line(head),
    line(head.map(() => '---')),
    ...rows.map((r) =>
      line([
        r.distractors,
        r.what,
        `${r.firstNewPct}% (${r.first.newOk}/${r.first.n})`,
        `${r.repeatPct}% (${r.repeat.ok}/${r.repeat.n})`,
        r.repeat.wrong,
        `${r.first.unsure} / ${r.repeat.unsure}`,
        `${r.group.duplicates}/${r.group.n} / ${r.crowd.n ? `${r.crowd.duplicates}/${r.crowd.n}` : '-'}`,
      ]),
    ),
  ].join('\n');
}

export async function benchIdentity({
  log = (m) => process.stderr.write(`identity: ${m}\n`),
  counts: wantCounts,
  rules: wantRules,
} = {}) {
  if (process.env.IDENTITY_SECTIONS === 'tracks') return withTracks({ rows: [], table: '' }, log);
  const counts = wantCounts ?? (process.env.IDENTITY_DISTRACTORS ?? '0,100,1000').split(',').map(Number);
  const rules = wantRules ?? (process.env.IDENTITY_RULES ?? 'nearest,person').split(',');
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-identity-'));
  const encoded = new Map();
  const rows = [];
  try {
    for (const n of counts) {
      const plan = await makePlan(dir, n);
      const b = baseline(plan, dir);
      rows.push({
        distractors: b.enrolled,
        what: 'face_recognition direct (nearest face < 0.6)',
        ...score(plan.steps, b.results),
      });
      log(JSON.stringify(rows.at(-1)));
      for (const rule of rules) {
        const g = await glimpse(rule, plan, dir, encoded, log);
        rows.push({
          distractors: g.enrolled,
          what: `Glimpse MATCH_RULE=${rule}${rule === 'person' ? ' (default)' : ' (the seed rule)'}`,
          ...score(plan.steps, g.results),
          ...detail(plan.steps, g.results),
        });
        log(JSON.stringify(rows.at(-1)));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const text = table(rows);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench/results/identity.json'),
    JSON.stringify({ when: new Date().toISOString(), rows, table: text }, null, 2),
  );
  return process.env.IDENTITY_TRACKS === '1' ? withTracks({ rows, table: text }, log) : { rows, table: text };
}

/** Adds the live-video section (bench/results/identity-tracks.json). */
async function withTracks(result, log) {
  const t = await benchTracks({ log });
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench/results/identity-tracks.json'),
    JSON.stringify({ when: new Date().toISOString(), ...t }, null, 2),
  );
  return {
    rows: result.rows,
    tracks: t.rows,
    table: [result.table, `Live video, per pass (bench/results/identity-tracks.json)\n\n${t.table}`]
      .filter(Boolean)
      .join('\n\n'),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  benchIdentity()
    .then(({ table: text }) =>
      console.log(`\n"Seen before?" on the fixture faces (bench/results/identity.json)\n\n${text}\n`),
    )
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
