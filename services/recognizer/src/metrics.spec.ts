import { createMetricsServer, RecognizerMetrics } from './metrics';

describe('metrics', () => {
  it('serves counters, the queue gauge and stage histograms at /metrics', async () => {
    const m = new RecognizerMetrics();
    m.framesIn.inc({ kind: 'recognize' });
    m.queueDepth.set(3);
    m.observeTimings({ detectMs: 25, encodeMs: 80, totalMs: 120 });
    const server = await createMetricsServer(m.registry, 0, '127.0.0.1');
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(text).toContain('glimpse_recognizer_frames_in_total{kind="recognize"} 1');
      expect(text).toContain('glimpse_recognizer_queue_depth 3');
      expect(text).toContain('glimpse_recognizer_stage_seconds_bucket{le="0.1",stage="encode"} 1');
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
