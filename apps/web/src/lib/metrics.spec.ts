import { LatencyMeter, SnapshotRate } from './metrics';

describe('SnapshotRate', () => {
  it('is unknown until there is enough data', () => {
    const r = new SnapshotRate();
    expect(r.rate(0)).toBeNull();
    r.onResult(1, 0);
    expect(r.rate(100)).toBeNull();
  });

  it('uses the distinct result frames until counters span a second', () => {
    const r = new SnapshotRate();
    for (let i = 0; i < 5; i++) {
      r.onResult(i, i * 500);
      r.onResult(i, i * 500 + 10); // a second message for the same frame counts once
    }
    expect(r.rate(2000)).toBeCloseTo(2, 5);
  });

  it('prefers the processed counter, which also counts frames without faces', () => {
    const r = new SnapshotRate();
    r.onResult(1, 0);
    r.onResult(2, 2000);
    r.onCounter(10, 0);
    r.onCounter(16, 2000);
    expect(r.rate(2000)).toBeCloseTo(3, 5);
  });

  it('forgets samples outside the window and restarts when a counter goes back', () => {
    const r = new SnapshotRate(5000);
    r.onCounter(0, 0);
    r.onCounter(100, 2000);
    r.onCounter(102, 8000);
    r.onCounter(104, 9000);
    expect(r.rate(9000)).toBeCloseTo(2, 5);
    r.onCounter(1, 10_000);
    expect(r.rate(10_000)).toBeNull();
    r.reset();
    expect(r.rate(10_000)).toBeNull();
  });
});

describe('LatencyMeter', () => {
  it('smooths now − capturedAt and never goes negative', () => {
    const m = new LatencyMeter(0.5);
    const t0 = Date.parse('2026-01-01T12:00:00.000Z');
    expect(m.latest(t0)).toBeNull();
    m.onResult('2026-01-01T12:00:00.000Z', t0 + 400);
    expect(m.latest(t0 + 400)).toBe(400);
    m.onResult('2026-01-01T12:00:00.000Z', t0 + 200);
    expect(m.latest(t0 + 200)).toBe(300);
    m.onResult('2026-01-01T12:00:01.000Z', t0 + 900); // server clock ahead
    expect(m.latest(t0 + 900)).toBe(150);
    m.onResult('garbage', t0);
    expect(m.latest(t0 + 900)).toBe(150);
  });

  it('goes blank when results stop', () => {
    const m = new LatencyMeter(0.3, 1000);
    m.onResult(new Date(0).toISOString(), 100);
    expect(m.latest(1000)).toBe(100);
    expect(m.latest(1200)).toBeNull();
    m.reset();
    expect(m.latest(100)).toBeNull();
  });
});
