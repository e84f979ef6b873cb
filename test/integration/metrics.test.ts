/**
 * Overload shedding and bus metrics over a real nats-server: the requester's timeout travels with each
 * binary request, the recognizer's handlers refuse what exceeds CONCURRENCY + MAX_QUEUE at once and
 * never start a frame whose requester has given up, and the /metrics listener shows it. The full
 * stack's /metrics (every service) is checked by soak.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { defineBinaryRequest, FrameRecognize, z } from '@glimpse/contracts';
import { Bus, type BusObservation } from '@glimpse/platform';
import { freePort, until } from '@glimpse/testing';
import { loadRecognizerConfig } from '../../services/recognizer/src/config';
import type { HealthService } from '../../services/recognizer/src/health.service';
import { FrameHeartbeat } from '../../services/recognizer/src/frame-heartbeat';
import { RecognizerHandlers } from '../../services/recognizer/src/recognizer.handlers';
import type { RecognizerService } from '../../services/recognizer/src/recognizer.service';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';

const Echo = defineBinaryRequest(
  `test.metrics.${randomUUID().slice(0, 8)}`,
  z.object({ 'X-Tag': z.string() }),
  z.strictObject({ deadlineInMs: z.number() }),
);

const headers = (seq: number) => ({
  'Glimpse-Source': 'cam-1',
  'Glimpse-Seq': String(seq),
  'Glimpse-Captured-At': new Date().toISOString(),
  'Content-Type': 'image/jpeg' as const,
});

describe('shedding and bus metrics (real NATS)', () => {
  let nats: PrivateNats;
  let client: Bus;
  let server: Bus;

  beforeAll(async () => {
    nats = await startPrivateNats();
    client = await Bus.connect({ servers: nats.url, name: 'metrics-test-client' });
    server = await Bus.connect({ servers: nats.url, name: 'metrics-test-server' });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await nats?.stop();
  });

  it('carries the requester timeout as a deadline and reports each request and handled message', async () => {
    const seen: BusObservation[] = [];
    client.observe((o) => seen.push(o));
    server.observe((o) => seen.push(o));
    server.handleBinary(Echo, async ({ deadline }) => ({ deadlineInMs: (deadline ?? 0) - Date.now() }));
    await server.nc.flush();
    const { deadlineInMs } = await client.requestBinary(Echo, new Uint8Array(4), { 'X-Tag': 'a' }, 7_000);
    // the responder's deadline is "now + the requester's timeout", less the (short) transit
    expect(deadlineInMs).toBeGreaterThan(5_000);
    expect(deadlineInMs).toBeLessThanOrEqual(7_000);
    await until('both observations', () => seen.length >= 2);
    expect(seen.map((o) => `${o.kind} ${o.outcome}`).sort()).toEqual(['handle ok', 'request ok']);
    expect(seen.every((o) => o.subject === Echo.subject && o.seconds >= 0)).toBe(true);
  });

  it('refuses frames beyond CONCURRENCY + MAX_QUEUE at once and skips frames nobody waits for', async () => {
    const nc = await Bus.connect({ servers: nats.url, name: 'metrics-test-recognizer' });
    let started = 0;
    const recognizer = {
      recognize: async (m: { headers: { 'Glimpse-Seq': number } }) => {
        started++;
        await new Promise((r) => setTimeout(r, 1500)); // a slow frame: what the queue limit is about
        const frame = {
          source: 'cam-1',
          seq: m.headers['Glimpse-Seq'],
          capturedAt: new Date().toISOString(),
          width: 16,
          height: 8,
        };
        return { frame, faces: [], timings: { totalMs: 1500 }, processedBy: 'metrics-test' };
      },
    } as unknown as RecognizerService;
    const port = await freePort();
    const cfg = loadRecognizerConfig({
      INSTANCE_ID: 'metrics-test',
      CONCURRENCY: '1',
      MAX_QUEUE: '2',
      METRICS_PORT: String(port),
    });
    const handlers = new RecognizerHandlers(nc, cfg, recognizer, {} as HealthService, new FrameHeartbeat(nc, cfg));
    try {
      await handlers.onApplicationBootstrap();
      await nc.nc.flush();
      const t0 = Date.now();
      const send = (seq: number, timeoutMs = 20_000) =>
        client.requestBinary(FrameRecognize.contract, new Uint8Array(8), headers(seq), timeoutMs).then(
          () => ({ seq, ok: true, ms: Date.now() - t0, code: '' }),
          (err: { code: string }) => ({ seq, ok: false, ms: Date.now() - t0, code: err.code }),
        );
      const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => send(i)));
      const ok = outcomes.filter((o) => o.ok);
      const shed = outcomes.filter((o) => !o.ok);
      // one running + two waiting; the other five are told at once, long before a frame's 1.5 s
      expect(ok).toHaveLength(3);
      expect(shed.map((o) => o.code)).toEqual(Array(5).fill('OVERLOADED'));
      expect(Math.max(...shed.map((o) => o.ms))).toBeLessThan(ok.reduce((a, o) => Math.min(a, o.ms), Infinity));
      expect(started).toBe(3);

      // a frame whose requester gives up while it waits is never started
      const busy = send(100);
      const impatient = send(101, 150);
      await expect(impatient).resolves.toMatchObject({ ok: false, code: 'TIMEOUT' });
      await busy;
      // the expired frame is dropped when its turn comes, right after `busy`
      const text = await until('the expired frame to be shed', async () => {
        const t = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return t.includes('reason="expired"} 1') && t;
      });
      expect(started).toBe(4);

      expect(text).toContain('glimpse_recognizer_frames_shed_total{kind="recognize",reason="queue_full"} 5');
      expect(text).toContain('glimpse_recognizer_frames_shed_total{kind="recognize",reason="expired"} 1');
      expect(text).toContain('glimpse_recognizer_frames_processed_total{kind="recognize"} 4');
      expect(text).toContain('glimpse_recognizer_queue_depth_max 2');
      expect(text).toContain('glimpse_recognizer_queue_limit 2');
      expect(text).toMatch(
        /glimpse_recognizer_bus_seconds_count\{kind="handle",subject="glimpse.frame.recognize",outcome="OVERLOADED"\} 5/,
      );
    } finally {
      await nc.close();
      await handlers.onApplicationShutdown();
    }
  });
});
