#!/usr/bin/env node
/*
 * A tiny external consumer of Glimpse events: plain Node and the `nats` client, no Glimpse code.
 * Replays the GLIMPSE_EVENTS stream from a sequence or a time through an ordered (ephemeral) consumer
 * and prints one line per event: `<seq> <type> <json>`.
 *
 *   NATS_URL     nats://127.0.0.1:4222
 *   NATS_USER / NATS_PASSWORD  unset (with infra/nats/nats.conf: the read-only `events` user)
 *   STREAM       GLIMPSE_EVENTS
 *   SUBJECTS     glimpse.events.>   (e.g. glimpse.events.sighting.> for sightings only)
 *   START_SEQ    1                  (ignored when START_TIME is set)
 *   START_TIME   unset              (ISO 8601, e.g. 2026-11-28T10:00:00Z)
 *   MAX_EVENTS   0                  (stop after this many; 0: no limit)
 *   IDLE_MS      0                  (stop after this long without an event; 0: follow forever)
 */
const { connect, DeliverPolicy } = require('nats');

const env = process.env;
const opts = {
  url: env.NATS_URL || 'nats://127.0.0.1:4222',
  stream: env.STREAM || 'GLIMPSE_EVENTS',
  subjects: env.SUBJECTS || 'glimpse.events.>',
  startSeq: int('START_SEQ', 1, 1),
  startTime: env.START_TIME || '',
  maxEvents: int('MAX_EVENTS', 0, 0),
  idleMs: int('IDLE_MS', 0, 0),
};

function int(name, def, min) {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`${name} must be an integer >= ${min}, got ${raw}`);
  return n;
}

function fail(message) {
  console.error(`events-subscriber: ${message}`);
  process.exit(2);
}

function consumerOptions() {
  const base = { filterSubjects: opts.subjects };
  if (!opts.startTime) return { ...base, opt_start_seq: opts.startSeq };
  const t = new Date(opts.startTime);
  if (Number.isNaN(t.getTime())) fail(`START_TIME is not a date: ${opts.startTime}`);
  return { ...base, deliver_policy: DeliverPolicy.StartTime, opt_start_time: t.toISOString() };
}

async function main() {
  const auth = env.NATS_USER ? { user: env.NATS_USER, pass: env.NATS_PASSWORD } : {};
  const nc = await connect({ servers: opts.url.split(','), name: 'glimpse-events-subscriber', ...auth });
  const stop = () => void nc.drain().catch(() => process.exit(1));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const js = nc.jetstream();
  const consumer = await js.consumers.get(opts.stream, consumerOptions());
  // next() pulls one message, waiting at most `expires` (the client needs at least 1 s);
  // the idle deadline is checked between pulls, so IDLE_MS is honoured to within about a second.
  const pull = Math.max(1000, Math.min(opts.idleMs || 5000, 5000));
  let count = 0;
  let lastEventAt = Date.now();
  while (!nc.isClosed() && !nc.isDraining()) {
    const m = await consumer.next({ expires: pull });
    if (!m) {
      if (opts.idleMs && Date.now() - lastEventAt >= opts.idleMs) break;
      continue;
    }
    lastEventAt = Date.now();
    let event;
    try {
      event = m.json();
    } catch {
      console.error(`events-subscriber: skipping seq ${m.seq}: not JSON`);
      continue;
    }
    console.log(`${m.seq} ${event.type} ${JSON.stringify(event)}`);
    if (opts.maxEvents && ++count >= opts.maxEvents) break;
  }
  if (!nc.isClosed()) await nc.drain();
}

main().catch((err) => {
  console.error(`events-subscriber: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
