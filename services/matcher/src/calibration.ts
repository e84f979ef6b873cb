/**
 * Threshold calibration math on distance histograms (pure, so it is tested without a database).
 * Bin i counts pairs with distance in [i·w, (i+1)·w); thresholds are bin edges, so "closer than t" is
 * exact at every edge and a threshold between edges is rounded down to one.
 */

export interface Histograms {
  binWidth: number;
  genuine: readonly number[];
  impostor: readonly number[];
}

export interface RatePoint {
  threshold: number;
  pairFar: number;
  identFar: number;
  frr: number;
}

/** Identification false accept rate: the chance that at least one of N independent comparisons accepts. */
export function identificationFar(pairFar: number, galleryPersons: number): number {
  if (pairFar <= 0 || galleryPersons <= 0) return 0;
  if (pairFar >= 1) return 1;
  return -Math.expm1(galleryPersons * Math.log1p(-pairFar));
}

/** The per-comparison rate p with 1 − (1 − p)^N = far: 1 − (1 − far)^(1/N). */
export function pairFarFor(far: number, galleryPersons: number): number {
  if (!(far > 0 && far < 1)) throw new RangeError(`far must be in (0, 1), not ${far}`);
  return -Math.expm1(Math.log1p(-far) / Math.max(1, galleryPersons));
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Cumulative counts: below[j] = pairs with distance < j·w, for j = 0 … bins. */
function cumulative(h: readonly number[]): number[] {
  const out = [0];
  for (const n of h) out.push(out[out.length - 1] + n);
  return out;
}

export class Calibration {
  private readonly gBelow: number[];
  private readonly iBelow: number[];
  readonly genuinePairs: number;
  readonly impostorPairs: number;

  constructor(
    private readonly h: Histograms,
    private readonly galleryPersons: number,
  ) {
    if (h.genuine.length !== h.impostor.length)
      throw new RangeError('genuine and impostor histograms differ in length');
    this.gBelow = cumulative(h.genuine);
    this.iBelow = cumulative(h.impostor);
    this.genuinePairs = sum(h.genuine);
    this.impostorPairs = sum(h.impostor);
  }

  /** Rates at bin edge j (threshold j·w). */
  private atEdge(j: number): RatePoint {
    const pairFar = this.impostorPairs ? this.iBelow[j] / this.impostorPairs : 0;
    const frr = this.genuinePairs ? (this.genuinePairs - this.gBelow[j]) / this.genuinePairs : 0;
    return {
      threshold: round(j * this.h.binWidth),
      pairFar,
      identFar: identificationFar(pairFar, this.galleryPersons),
      frr,
    };
  }

  private edgeOf(threshold: number): number {
    return Math.max(0, Math.min(this.h.genuine.length, Math.floor(threshold / this.h.binWidth + 1e-9)));
  }

  /** Rates at a threshold (rounded down to a bin edge). */
  at(threshold: number): RatePoint {
    return this.atEdge(this.edgeOf(threshold));
  }

  /** Rates from `from` to `to` every `step`. */
  curve(from: number, to: number, step: number): RatePoint[] {
    const out: RatePoint[] = [];
    for (let t = from; t <= to + 1e-9; t += step) out.push(this.at(t));
    return out;
  }

  /**
   * The largest threshold whose measured per-comparison FAR is at most `pairFar` (FAR only grows with the
   * threshold). `limitedByData`: the wanted rate is below one impostor pair in all of them, so the answer
   * is only "no impostor pair was closer": an upper bound, not an estimate.
   */
  suggest(pairFar: number): { point: RatePoint; limitedByData: boolean } | null {
    if (this.impostorPairs === 0 || this.genuinePairs === 0) return null;
    let best = 0;
    for (let j = 0; j < this.iBelow.length; j++) if (this.iBelow[j] / this.impostorPairs <= pairFar) best = j;
    return { point: this.atEdge(best), limitedByData: pairFar * this.impostorPairs < 1 };
  }
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;
