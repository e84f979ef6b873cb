import { euclidean, similarity } from './similarity';

describe('similarity', () => {
  it('is 100% for identical encodings and 50% at the threshold', () => {
    expect(similarity(0)).toBe(100);
    expect(similarity(0.6, 0.6)).toBe(50);
  });

  it('boosts matches inside the threshold above the linear score', () => {
    // linear = 1 - 0.3/1.2 = 0.75; score = 0.75 + 0.25 * 0.5^0.2 = 0.9676
    expect(similarity(0.3, 0.6)).toBe(97);
    expect(similarity(0.5, 0.6)).toBeGreaterThan(50);
  });

  it('falls back to the linear score past the threshold instead of NaN', () => {
    // linear = 1 - 0.9/1.2 = 0.25
    expect(similarity(0.9, 0.6)).toBe(25);
    expect(similarity(0.61, 0.6)).toBeLessThan(50);
    expect(similarity(5, 0.6)).toBe(0);
  });

  it('is monotonic in distance', () => {
    let prev = 101;
    for (let d = 0; d <= 1.2; d += 0.01) {
      const s = similarity(d);
      expect(s).toBeLessThanOrEqual(prev);
      prev = s;
    }
  });

  it('honours the threshold it is given', () => {
    expect(similarity(0.4, 0.4)).toBe(50);
    expect(similarity(0.4, 0.8)).toBeGreaterThan(similarity(0.4, 0.4));
  });

  it('rejects nonsense', () => {
    expect(() => similarity(-1)).toThrow(RangeError);
    expect(() => similarity(NaN)).toThrow(RangeError);
    expect(() => similarity(0.1, 0)).toThrow(RangeError);
  });
});

describe('euclidean', () => {
  it('computes the L2 distance', () => {
    expect(euclidean([0, 0], [3, 4])).toBe(5);
    expect(() => euclidean([1], [1, 2])).toThrow(RangeError);
  });
});
