import { Counter } from 'prom-client';
import { freePort } from '@glimpse/testing';
import type { BusObservation } from './bus';
import { ServiceMetrics } from './metrics';

describe('ServiceMetrics', () => {
  it('serves its registry at /metrics only while open, and 404s other paths', async () => {
    const m = new ServiceMetrics('demo');
    new Counter({ name: 'glimpse_demo_things_total', help: 'things', registers: [m.registry] }).inc(2);
    expect(await m.serve(0)).toBeUndefined(); // port 0: metrics off
    const server = await m.serve(await freePort(), '127.0.0.1');
    const url = `http://127.0.0.1:${server!.port}`;
    try {
      const text = await (await fetch(`${url}/metrics`)).text();
      expect(text).toContain('glimpse_demo_things_total 2');
      expect(text).toMatch(/^glimpse_demo_process_resident_memory_bytes \d+/m);
      expect(text).toContain('glimpse_demo_nodejs_eventloop_lag_seconds');
      expect((await fetch(`${url}/`)).status).toBe(404);
      expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      await m.close();
    }
    await expect(fetch(`${url}/metrics`)).rejects.toThrow();
  });

  it('turns bus observations into a histogram by kind, subject and outcome', async () => {
    const m = new ServiceMetrics('demo', { defaults: false });
    let observer: ((o: BusObservation) => void) | undefined;
    m.watchBus({ observe: (fn) => void (observer = fn) });
    observer!({ kind: 'request', subject: 'glimpse.matcher.match', seconds: 0.02, outcome: 'ok' });
    observer!({ kind: 'request', subject: 'glimpse.matcher.match', seconds: 3, outcome: 'TIMEOUT' });
    const text = await m.registry.metrics();
    expect(text).toContain(
      'glimpse_demo_bus_seconds_count{kind="request",subject="glimpse.matcher.match",outcome="ok"} 1',
    );
    expect(text).toContain(
      'glimpse_demo_bus_seconds_bucket{le="0.025",kind="request",subject="glimpse.matcher.match",outcome="ok"} 1',
    );
    expect(text).toContain(
      'glimpse_demo_bus_seconds_bucket{le="2",kind="request",subject="glimpse.matcher.match",outcome="TIMEOUT"} 0',
    );
    expect(text).not.toContain('process_resident_memory');
  });
});
