import { TokenBuckets } from './token-bucket';

describe('TokenBuckets', () => {
  const t0 = 1_000_000;

  it('allows a burst of perMinute, then refuses with Retry-After until a token has refilled', () => {
    const b = new TokenBuckets({ perMinute: 6, maxKeys: 10 });
    for (let i = 0; i < 6; i++) expect(b.take('a', t0).ok).toBe(true);
    const refused = b.take('a', t0);
    expect(refused).toEqual({ ok: false, retryAfterS: 10 }); // one token per 10 s
    expect(b.take('a', t0 + 9_000).ok).toBe(false);
    expect(b.take('a', t0 + 10_000).ok).toBe(true);
    expect(b.take('a', t0 + 10_000).ok).toBe(false);
  });

  it('keeps one bucket per key', () => {
    const b = new TokenBuckets({ perMinute: 1, maxKeys: 10 });
    expect(b.take('a', t0).ok).toBe(true);
    expect(b.take('a', t0).ok).toBe(false);
    expect(b.take('b', t0).ok).toBe(true);
  });

  it('peek does not take', () => {
    const b = new TokenBuckets({ perMinute: 1, maxKeys: 10 });
    expect(b.peek('a', t0).ok).toBe(true);
    expect(b.peek('a', t0).ok).toBe(true);
    b.take('a', t0);
    expect(b.peek('a', t0)).toEqual({ ok: false, retryAfterS: 60 });
  });

  it('bounds its memory: at most maxKeys, least recently used forgotten first', () => {
    const b = new TokenBuckets({ perMinute: 1, maxKeys: 3 });
    for (const k of ['a', 'b', 'c']) b.take(k, t0);
    b.take('a', t0); // a is now the most recent
    b.take('d', t0);
    expect(b.size).toBe(3);
    expect(b.peek('b', t0).ok).toBe(true); // forgotten: starts full again
    expect(b.peek('a', t0).ok).toBe(false);
    for (let i = 0; i < 10_000; i++) b.take(`flood-${i}`, t0);
    expect(b.size).toBe(3);
  });

  it('drops buckets that have been idle long enough to be full again', () => {
    const b = new TokenBuckets({ perMinute: 10, maxKeys: 1000 });
    for (let i = 0; i < 100; i++) b.take(`ip-${i}`, t0);
    expect(b.size).toBe(100);
    b.take('late', t0 + 61_000);
    expect(b.size).toBe(1);
  });

  it('is off at 0 per minute', () => {
    const b = new TokenBuckets({ perMinute: 0, maxKeys: 10 });
    for (let i = 0; i < 100; i++) expect(b.take('a', t0).ok).toBe(true);
    expect(b.size).toBe(0);
  });
});
