import { Calibration, identificationFar, pairFarFor } from './calibration';
import { insufficiency } from './calibration.service';

/** A histogram of bin width 0.1 with the given distances. */
const hist = (distances: number[], bins = 12) => {
  const h = new Array<number>(bins).fill(0);
  for (const d of distances) h[Math.min(bins - 1, Math.floor(d / 0.1 + 1e-9))]++;
  return h;
};

describe('identification FAR', () => {
  it('is 1 − (1 − p)^N, also where p is tiny and N large', () => {
    expect(identificationFar(0.001, 200)).toBeCloseTo(1 - 0.999 ** 200, 12);
    expect(identificationFar(0.001, 200)).toBeCloseTo(0.181, 3); // the open-set notes: 0.1% at N=200 gives 18%
    expect(identificationFar(1e-12, 1000)).toBeCloseTo(1e-9, 15);
    expect(identificationFar(0, 1000)).toBe(0);
    expect(identificationFar(1, 3)).toBe(1);
  });

  it('inverts: the per-comparison rate for a wanted FAR gives that FAR back', () => {
    for (const [far, n] of [
      [0.01, 1],
      [0.01, 80],
      [0.05, 1080],
      [0.5, 7],
    ]) {
      expect(identificationFar(pairFarFor(far, n), n)).toBeCloseTo(far, 10);
    }
    expect(pairFarFor(0.01, 1)).toBeCloseTo(0.01, 12);
    expect(() => pairFarFor(0, 10)).toThrow(RangeError);
    expect(() => pairFarFor(1, 10)).toThrow(RangeError);
  });
});

describe('Calibration', () => {
  // genuine pairs at 0.25-0.55, impostors at 0.45-1.05
  const genuine = hist([0.25, 0.3, 0.35, 0.4, 0.45, 0.55]);
  const impostor = hist([0.45, 0.65, 0.75, 0.85, 0.85, 0.95, 0.95, 1.05, 1.05, 1.05]);
  const cal = new Calibration({ binWidth: 0.1, genuine, impostor }, 1);

  it('counts pairs closer than a threshold as accepted (FAR) and the rest of the genuine ones as rejected (FRR)', () => {
    expect(cal.at(0.5)).toEqual({ threshold: 0.5, pairFar: 0.1, identFar: 0.1, frr: 1 / 6 });
    expect(cal.at(0.4)).toMatchObject({ threshold: 0.4, pairFar: 0, frr: 3 / 6 });
    expect(cal.at(0.2)).toMatchObject({ pairFar: 0, frr: 1 });
    expect(cal.at(1.2)).toMatchObject({ pairFar: 1, frr: 0 });
    // between two edges: rounded down
    expect(cal.at(0.57).threshold).toBe(0.5);
  });

  it('suggests the largest threshold whose FAR stays within the wanted rate', () => {
    expect(cal.suggest(0.1)).toEqual({ point: cal.at(0.6), limitedByData: false });
    expect(cal.suggest(0.2)).toEqual({ point: cal.at(0.7), limitedByData: false });
    // below one impostor pair in ten: only "no impostor was closer", an upper bound
    expect(cal.suggest(0.01)).toEqual({ point: cal.at(0.4), limitedByData: true });
  });

  it('grows the identification FAR with the gallery size', () => {
    const big = new Calibration({ binWidth: 0.1, genuine, impostor }, 100);
    expect(big.at(0.5).identFar).toBeCloseTo(1 - 0.9 ** 100, 10);
    expect(big.curve(0.4, 0.6, 0.1).map((p) => p.threshold)).toEqual([0.4, 0.5, 0.6]);
  });

  it('suggests nothing without genuine or impostor pairs, and refuses histograms that differ', () => {
    expect(new Calibration({ binWidth: 0.1, genuine, impostor: hist([]) }, 5).suggest(0.1)).toBeNull();
    expect(new Calibration({ binWidth: 0.1, genuine: hist([]), impostor }, 5).suggest(0.1)).toBeNull();
    expect(() => new Calibration({ binWidth: 0.1, genuine: [1], impostor: [1, 2] }, 5)).toThrow(RangeError);
  });
});

describe('insufficiency', () => {
  it('says what is missing', () => {
    expect(insufficiency(1, 10, 10)).toMatch(/1 named person\(s\) with at least 2 faces; name at least 2/);
    expect(insufficiency(2, 0, 10)).toMatch(/no two faces of one named person/);
    expect(insufficiency(2, 3, 0)).toMatch(/no faces of two differently named persons/);
    expect(insufficiency(2, 3, 4)).toBeNull();
  });
});
