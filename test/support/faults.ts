/**
 * Helpers of the fault tests (test/integration/faults.test.ts): what the stack produced (recognition
 * results, JetStream events, the PGlite database on disk) read from outside the services.
 */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { Events, RecognitionEvent, type RecognizedFace } from '@glimpse/contracts';
import type { Bus } from '@glimpse/platform';
import { connect } from 'nats';
import { withClient } from './postgres';
import { sleep, until } from '@glimpse/testing';

export { sleep };

/** Polls `check` every `everyMs` until it is truthy (a throw counts as not yet); returns the seconds it took. */
export async function secondsUntil(
  what: string,
  check: () => Promise<unknown> | unknown,
  ms: number,
  everyMs = 200,
): Promise<number> {
  const started = Date.now();
  await until(what, async () => Boolean(await check()), { timeoutMs: ms, everyMs, retryErrors: true });
  return (Date.now() - started) / 1000;
}

/** One line the lead can copy into docs/reliability.md: `FAULT <name> key=value …`. */
export function figures(name: string, values: Record<string, string | number | boolean>): void {
  const fmt = (v: string | number | boolean) =>
    typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : String(v);
  console.log(
    `FAULT ${name} ${Object.entries(values)
      .map(([k, v]) => `${k}=${fmt(v)}`)
      .join(' ')}`,
  );
}

export interface Result {
  at: number;
  seq: number;
  faces: RecognizedFace[];
}

/** Every recognition result of one source, as the gateway would hear it, with its arrival time. */
export function watchResults(
  bus: Bus,
  source: string,
): { results: Result[]; after(t: number): Result[]; stop(): void } {
  const results: Result[] = [];
  const sub = bus.subscribe(
    RecognitionEvent.contract,
    (p) => void results.push({ at: Date.now(), seq: p.frame.seq, faces: p.faces }),
    {
      subject: `glimpse.recognition.${source}`,
    },
  );
  return { results, after: (t) => results.filter((r) => r.at > t), stop: () => sub.unsubscribe() };
}

/** The longest silence (s) between results from `from` to `to` (the edges count as results). */
export function longestGap(results: Result[], from: number, to: number): number {
  const times = [from, ...results.map((r) => r.at).filter((t) => t > from && t < to), to];
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
  return gap / 1000;
}

export interface StoredEvent {
  seq: number;
  event: Events.Event;
}

/** Every event in GLIMPSE_EVENTS, in stream order (erased ones are gone), read with a connection of its own. */
export async function readEvents(natsUrl: string): Promise<StoredEvent[]> {
  const nc = await connect({ servers: natsUrl, name: 'fault-test-events' });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(Events.STREAM);
    const out: StoredEvent[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(Events.STREAM, { seq }).catch(() => undefined);
      if (m) out.push({ seq, event: Events.event.parse(m.json()) });
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** Event ids that occur more than once. */
export function duplicateIds(events: StoredEvent[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const { event } of events) (seen.has(event.id) ? dup : seen).add(event.id);
  return [...dup];
}

export interface DatabaseReport {
  faces: number;
  persons: number;
  faceIds: Set<string>;
  personIds: Set<string>;
  /** (source, frame_seq, box) stored more than once: a frame stored twice. */
  duplicateFaces: number;
  /** Faces whose person does not exist. */
  orphanFaces: number;
  /** Outbox rows still waiting, and those whose person is gone (an event about nobody). */
  outboxPending: number;
  outboxOrphans: number;
  matchedFrames: number;
}

type Rows = <R>(sql: string) => Promise<R[]>;

/**
 * Reads what the fault tests check from the matcher's database: its PGlite directory (the matcher must be
 * stopped: PGlite is single-process; opening it at all is the first check, a hard kill must leave it usable),
 * or a PostgreSQL server through `{ url }` (a role that may read every table).
 */
export async function inspectDatabase(where: string | { url: string }): Promise<DatabaseReport> {
  if (typeof where !== 'string') return withClient(where.url, (c) => report(async (sql) => (await c.query(sql)).rows));
  const pg = await PGlite.create({ dataDir: where, extensions: { vector } });
  try {
    return await report(async <R>(sql: string) => (await pg.query<R>(sql)).rows);
  } finally {
    await pg.close();
  }
}

async function report(rows: Rows): Promise<DatabaseReport> {
  const one = async (sql: string) => Number((await rows<{ n: number | string }>(sql))[0]?.n ?? 0);
  const ids = async (sql: string) => new Set((await rows<{ id: string }>(sql)).map((r) => r.id));
  return {
    faces: await one('SELECT count(*) AS n FROM faces'),
    persons: await one('SELECT count(*) AS n FROM persons'),
    faceIds: await ids('SELECT id::text AS id FROM faces'),
    personIds: await ids('SELECT id::text AS id FROM persons'),
    duplicateFaces: await one(`SELECT count(*) AS n FROM (SELECT 1 FROM faces
      GROUP BY source, frame_seq, box_x, box_y, box_width, box_height HAVING count(*) > 1) d`),
    orphanFaces: await one(
      'SELECT count(*) AS n FROM faces f LEFT JOIN persons p ON p.id = f.person_id WHERE p.id IS NULL',
    ),
    outboxPending: await one(`SELECT count(*) AS n FROM event_outbox`),
    outboxOrphans:
      await one(`SELECT count(*) AS n FROM event_outbox o WHERE o.kind = 'publish' AND o.person_id IS NOT NULL AND o.event_id NOT LIKE 'person.deleted:%'
      AND NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = o.person_id)
      AND NOT EXISTS (SELECT 1 FROM person_aliases a WHERE a.alias_id = o.person_id)`),
    matchedFrames: await one('SELECT count(*) AS n FROM matched_frames'),
  };
}

/** One answered upload of a burst: its status, time to answer, stored face ids, and whether it may be retried. */
export interface UploadOutcome {
  status: number;
  ms: number;
  faceIds: string[];
  /** 503/504 problem+json with Retry-After: a client may send the photo again. */
  retryable: boolean;
  code?: string;
}

/** POST /api/v1/recognize with one photo, timed; never throws (a connection error is status 0). */
export async function upload(
  api: (path: string, init?: RequestInit) => Promise<Response>,
  photo: Buffer,
  query = '',
): Promise<UploadOutcome> {
  const t = performance.now();
  try {
    const res = await api(`/api/v1/recognize${query}`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(photo),
    });
    const body = (await res.json().catch(() => ({}))) as { faces?: Array<{ faceId: string | null }>; code?: string };
    const ms = performance.now() - t;
    const retryable =
      (res.status === 503 || res.status === 504) &&
      !!res.headers.get('retry-after') &&
      (res.headers.get('content-type') ?? '').startsWith('application/problem+json');
    const faceIds = (body.faces ?? []).map((f) => f.faceId).filter((id): id is string => !!id);
    return { status: res.status, ms, faceIds, retryable, code: body.code };
  } catch {
    return { status: 0, ms: performance.now() - t, faceIds: [], retryable: false };
  }
}

/** Every stored face id of one source, through GET /api/v1/faces (all pages). */
export async function storedFaceIds(
  api: (path: string, init?: RequestInit) => Promise<Response>,
  source: string,
): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let page = 1; ; page++) {
    const res = await api(`/api/v1/faces?source=${encodeURIComponent(source)}&pageSize=200&page=${page}`);
    if (res.status !== 200) throw new Error(`GET /api/v1/faces: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { items: Array<{ id: string }>; total: number };
    for (const f of body.items) ids.add(f.id);
    if (body.items.length === 0 || ids.size >= body.total) return ids;
  }
}
