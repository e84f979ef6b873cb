// Glimpse on the still frames, through POST /api/v1/recognize with the shipped defaults. The headline rows
// take the path a user's camera takes: store=true (the default) against a gallery pre-loaded with 10k or
// 100k faces (bench/gallery.mjs), on embedded PGlite (the default) and on a Postgres server, so each frame
// searches the index, takes the matching lock, inserts its faces and writes events that the relay publishes
// to JetStream (counted here). The store=false rows on an empty database stay, labelled as such: they show
// the recognizer without the matcher's writes.
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { driveRounds, stats, spread } from './drive.mjs';
import { preloadGallery } from './gallery.mjs';
import { cpuPerFrame, cpuSnapshot, roles } from './cpu.mjs';

const require = createRequire(import.meta.url);
const { startStack, freePort } = require('../infra/scripts/stack.js');
const INFLIGHT = 4;
const REQUEST_TIMEOUT_MS = 30_000;

async function recognize(stack, body, store) {
  const r = await fetch(`${stack.url}/api/v1/recognize${store ? '' : '?store=false'}`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${stack.apiKey}` },
    body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (!r.ok) throw new Error(`recognize ${r.status}: ${await r.text()}`);
  return { faces: (await r.json()).faces.length };
}

/** Messages on the GLIMPSE_EVENTS stream, once the relay has stopped adding to it (at most 20 s). */
async function relayedEvents(natsUrl) {
  const { connect } = require('nats');
  const nc = await connect({ servers: natsUrl, name: 'bench-events', timeout: 5000 });
  try {
    const jsm = await nc.jetstreamManager({ timeout: 5000 });
    const count = async () => (await jsm.streams.info('GLIMPSE_EVENTS')).state.messages;
    let last = await count();
    for (const until = Date.now() + 20_000; Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = await count();
      if (now === last) break;
      last = now;
    }
    return last;
  } finally {
    await nc.close();
  }
}

/**
 * One stack, one gallery: throughput per kind (`rounds` x `perRound` requests, INFLIGHT outstanding) and,
 * with `latency`, `rounds` x `perRound` requests one at a time.
 */
async function benchConfig(cfg, ctx) {
  const dataDir = join(ctx.tmp, `data-${cfg.id}`);
  const env = {};
  if (cfg.gallery) {
    const databaseUrl = cfg.backend === 'postgres' ? await ctx.pg.createDatabase(`gallery_${cfg.gallery}`) : undefined;
    await preloadGallery({ n: cfg.gallery, dataDir, databaseUrl, distractors: ctx.distractors, log: ctx.log });
    if (databaseUrl) env.DATABASE_URL = databaseUrl;
  }
  const stack = await startStack({
    port: 0,
    natsUrl: `nats://127.0.0.1:${await freePort()}`,
    env,
    dataDir,
    logSink: { write() {} },
  });
  try {
    const out = {
      id: cfg.id,
      label: cfg.label,
      store: cfg.store,
      gallery: cfg.gallery ?? 0,
      backend: cfg.backend,
      throughput: {},
    };
    const warm = ctx.frames['640x480, 1 face'];
    for (let i = 0; i < 8; i++) await recognize(stack, warm[i % warm.length].jpeg, false); // every engine process warm
    const eventsBefore = cfg.store ? await relayedEvents(stack.natsUrl) : 0;
    let stored = 0;
    // the Postgres server's processes count too: its CPU is part of what a stored frame costs
    const groups = { ...roles(stack), ...(cfg.backend === 'postgres' ? { postgres: ctx.pg.pids() } : {}) };
    for (const kind of cfg.kinds) {
      const frames = ctx.frames[kind];
      const before = cpuSnapshot(groups);
      out.throughput[kind] = await driveRounds(ctx.rounds, ctx.perRound, INFLIGHT, (i) =>
        recognize(stack, frames[i % frames.length].jpeg, cfg.store),
      );
      out.throughput[kind].cpuMsPerFrame = cpuPerFrame(before, cpuSnapshot(groups), out.throughput[kind].requests);
      stored += out.throughput[kind].requests;
      ctx.log(`${cfg.id} ${kind}: ${JSON.stringify(out.throughput[kind])}`);
    }
    if (cfg.latency) {
      const frames = ctx.frames['640x480, 1 face'];
      const lat = [];
      const roundP95 = [];
      for (let r = 0; r < ctx.rounds; r++) {
        const mine = [];
        for (let i = 0; i < ctx.perRound; i++) {
          const t = performance.now();
          await recognize(stack, frames[i % frames.length].jpeg, cfg.store);
          mine.push(performance.now() - t);
        }
        lat.push(...mine);
        roundP95.push(stats(mine).p95);
      }
      stored += lat.length;
      out.latency = { ...stats(lat), roundsP95: spread(roundP95) };
      ctx.log(`${cfg.id} latency: ${JSON.stringify(out.latency)}`);
    }
    if (cfg.store) {
      out.eventsRelayed = (await relayedEvents(stack.natsUrl)) - eventsBefore;
      out.framesStored = stored;
    }
    return out;
  } finally {
    await stack.stop();
  }
}

/** The configurations of this run: store=false on an empty database, then store=true per gallery and backend. */
export function throughputConfigs({ quick, galleries, kinds, postgres }) {
  const headline = kinds.filter((k) => k.endsWith('1 face'));
  const out = [
    {
      id: 'store-false-empty',
      label: 'store=false, empty database (recognizer only: no search, insert or event)',
      store: false,
      kinds,
      latency: true,
    },
  ];
  for (const n of galleries) {
    out.push({
      id: `pglite-${n}`,
      label: `store=true, PGlite (embedded default), ${n / 1000}k faces`,
      store: true,
      gallery: n,
      backend: 'pglite',
      kinds: headline,
      latency: true,
    });
  }
  if (postgres) {
    for (const n of galleries)
      out.push({
        id: `postgres-${n}`,
        label: `store=true, Postgres server, ${n / 1000}k faces`,
        store: true,
        gallery: n,
        backend: 'postgres',
        kinds: quick ? headline.slice(0, 1) : headline,
        latency: !quick,
      });
  }
  return out;
}

export async function benchThroughput(ctx, configs) {
  const out = [];
  for (const cfg of configs) {
    ctx.log(`stack: ${cfg.label}`);
    out.push(await benchConfig(cfg, ctx));
  }
  return out;
}
