/**
 * The short CI version of `npm run soak` (bench/soak-lib.js), against a private stack on loopback:
 * looping streams and API clients past what the recognizer can do, so that it must shed. Then every
 * service's /metrics is scraped for the series an operator needs. SOAK_CI_MINUTES (1.25) sets the length.
 */
import { writeFileSync } from 'node:fs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const soak = require('../../bench/soak-lib.js');

const o = {
  ...soak.soakOptions({ ...process.env, SOAK_MINUTES: process.env.SOAK_CI_MINUTES ?? '1.25' }),
  streams: 3,
  // A stream keeps one snapshot in flight; at 8 fps (125 ms apart) under this load it must skip some.
  fps: 8,
  clients: 3,
  sampleS: 3,
  // CONCURRENCY 2 + MAX_QUEUE 1 admit 3 frames; 3 streams and 3 clients send up to 6 at once
  maxQueue: 1,
};
const photos = soak.fixturePhotos(o.fixtures);
const describeIf = photos.length ? describe : describe.skip;
if (!photos.length)
  console.warn(`\n*** SKIPPING the soak test: no fixture faces in ${o.fixtures} (set GLIMPSE_FIXTURES) ***\n`);

type Series = Array<{ name: string; labels: string; value: number }>;

describeIf('soak (short): overload sheds, health and memory hold', () => {
  let stack: any;
  let result: any;
  const log: string[] = [];

  beforeAll(async () => {
    stack = await soak.startSoakStack(o, { write: (s: string) => log.push(s) });
    result = await soak.runSoak(stack, o, (m: string) => log.push(`soak | ${m}\n`));
    console.log(soak.formatSummary(result));
  }, 600_000);

  afterAll(async () => {
    await stack?.stop();
    if (process.env.GLIMPSE_TEST_LOG) writeFileSync(process.env.GLIMPSE_TEST_LOG, log.join(''));
  });

  it('keeps answering /healthz', () => {
    expect(result.api[soak.HEALTHZ].count).toBeGreaterThan(10);
    expect(result.healthz.successRatio).toBeGreaterThanOrEqual(0.99);
    expect(result.healthz.p95).toBeLessThan(3000);
  });

  it('answers every API call, with 503 as the only server error (a shed frame)', () => {
    for (const [endpoint, s] of Object.entries<any>(result.api)) {
      const bad = Object.keys(s.statuses).filter(
        (code) => code === '0' || (Number(code) >= 500 && !(code === '503' && endpoint === soak.RECOGNIZE)),
      );
      expect({ endpoint, bad }).toEqual({ endpoint, bad: [] });
    }
    expect(result.api[soak.RECOGNIZE].statuses['200']).toBeGreaterThan(0);
    expect(result.api[soak.PERSONS].statuses['200']).toBe(result.api[soak.PERSONS].count);
  });

  it('processes frames from every stream and drops the rest instead of queueing them', () => {
    expect(result.frames.captured).toBeGreaterThan(0);
    expect(result.frames.droppedRatio).toBeLessThan(1);
    for (const [id, n] of Object.entries(result.frames.perStreamProcessed))
      expect({ id, processed: Number(n) > 0 }).toEqual({ id, processed: true });
    expect(result.snapshotsPerS).toBeGreaterThan(0);
  });

  it('sheds at the recognizer and never lets its queue pass MAX_QUEUE', () => {
    expect(result.recognizer.queueLimit).toBe(o.maxQueue);
    expect(result.recognizer.queueDepthMax).toBeLessThanOrEqual(o.maxQueue);
    expect(result.recognizer.shed).toBeGreaterThan(0);
  });

  it('does not grow any process by more than 50% between the second and the last quarter', () => {
    const names = Object.keys(result.memory);
    expect(names).toEqual(expect.arrayContaining(['worker', 'matcher', 'recognizer', 'capture', 'gateway']));
    for (const [name, m] of Object.entries<any>(result.memory)) {
      expect({ name, growth: m.growth }).toEqual({ name, growth: expect.any(Number) });
      expect({ name, tooMuch: m.growth > 0.5 }).toEqual({ name, tooMuch: false });
    }
  });

  it('serves the key metrics of every service with real values', async () => {
    const ports = stack.metricsPorts as Record<string, number>;
    const m: Record<string, Series> = {};
    for (const name of ['gateway', 'recognizer', 'capture', 'matcher']) m[name] = await soak.scrape(ports[name]);
    const value = (svc: string, name: string, labels = '') => soak.sumOf(m[svc], name, labels);
    const has = (svc: string, name: string) => m[svc].some((s) => s.name === name);
    for (const svc of Object.keys(m))
      expect({ svc, rss: value(svc, `glimpse_${svc}_process_resident_memory_bytes`) > 0 }).toEqual({ svc, rss: true });

    expect(
      value(
        'gateway',
        'glimpse_gateway_http_request_seconds_count',
        'route="/api/v1/recognize",method="POST",status="200"',
      ),
    ).toBeGreaterThan(0);
    expect(value('gateway', 'glimpse_gateway_http_request_seconds_count', 'route="/healthz"')).toBeGreaterThan(0);
    expect(
      value('gateway', 'glimpse_gateway_bus_seconds_count', 'kind="request",subject="glimpse.frame.recognize"'),
    ).toBeGreaterThan(0);
    expect(has('gateway', 'glimpse_gateway_ws_clients')).toBe(true);

    expect(value('recognizer', 'glimpse_recognizer_frames_processed_total')).toBeGreaterThan(0);
    expect(value('recognizer', 'glimpse_recognizer_stage_seconds_count', 'stage="queue"')).toBeGreaterThan(0);
    expect(
      value('recognizer', 'glimpse_recognizer_bus_seconds_count', 'kind="request",subject="glimpse.matcher.match"'),
    ).toBeGreaterThan(0);
    expect(value('recognizer', 'glimpse_recognizer_frames_shed_total')).toBeGreaterThanOrEqual(result.recognizer.shed);
    expect(has('recognizer', 'glimpse_recognizer_queue_depth')).toBe(true);

    expect(value('capture', 'glimpse_capture_frames_total', 'outcome="processed"')).toBeGreaterThan(0);
    expect(value('capture', 'glimpse_capture_frames_total', 'outcome="skipped"')).toBeGreaterThan(0);
    expect(value('capture', 'glimpse_capture_frames_sent_total')).toBeGreaterThan(0);
    expect(value('capture', 'glimpse_capture_recognize_seconds_count')).toBeGreaterThan(0);
    expect(has('capture', 'glimpse_capture_streams_active')).toBe(true);

    expect(
      value('matcher', 'glimpse_matcher_bus_seconds_count', 'kind="handle",subject="glimpse.matcher.match"'),
    ).toBeGreaterThan(0);
    expect(value('matcher', 'glimpse_matcher_nearest_seconds_count')).toBeGreaterThan(0);
    expect(value('matcher', 'glimpse_matcher_db_transaction_seconds_count', 'outcome="commit"')).toBeGreaterThan(0);
    expect(value('matcher', 'glimpse_matcher_faces_stored_total')).toBeGreaterThan(0);
    expect(value('matcher', 'glimpse_matcher_persons_created_total')).toBeGreaterThan(0);
    expect(has('matcher', 'glimpse_matcher_outbox_pending')).toBe(true);
  });
});
