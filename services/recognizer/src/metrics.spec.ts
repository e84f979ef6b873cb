import { createMetricsServer } from '@glimpse/platform';
import { RecognizerMetrics } from './metrics';

describe('RecognizerMetrics', () => {
  it('serves counters, the queue gauges and stage histograms at /metrics', async () => {
    const m = new RecognizerMetrics();
    m.framesIn.inc({ kind: 'recognize' });
    m.framesShed.inc({ kind: 'recognize', reason: 'queue_full' });
    m.queueDepth.set(3);
    m.queueLimit.set(8);
    m.observeTimings({ detectMs: 25, encodeMs: 80, totalMs: 120 });
    const server = await createMetricsServer(m.registry, 0, '127.0.0.1');
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(text).toContain('glimpse_recognizer_frames_in_total{kind="recognize"} 1');
      expect(text).toContain('glimpse_recognizer_frames_shed_total{kind="recognize",reason="queue_full"} 1');
      expect(text).toContain('glimpse_recognizer_queue_depth 3');
      expect(text).toContain('glimpse_recognizer_queue_limit 8');
      expect(text).toContain('glimpse_recognizer_stage_seconds_bucket{le="0.1",stage="encode"} 1');
      expect(text).toContain('glimpse_recognizer_stage_seconds_bucket{le="0.05",stage="encode"} 0');
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      server.close();
    }
  });

  it('adds process metrics under its prefix when asked', async () => {
    const text = await new RecognizerMetrics(true).registry.metrics();
    expect(text).toMatch(/^glimpse_recognizer_process_resident_memory_bytes \d+/m);
    expect(text).toContain('glimpse_recognizer_nodejs_eventloop_lag_seconds');
  });
});
