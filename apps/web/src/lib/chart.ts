/** Pure geometry for the calibration chart (an SVG): linear axes, polylines and histogram bars. */

export interface Plot {
  width: number;
  height: number;
  /** Inner margin for the axes, in px. */
  pad: number;
  /** The x domain (distance) shown. */
  x0: number;
  x1: number;
}

export const xOf = (p: Plot, x: number): number => p.pad + ((x - p.x0) / (p.x1 - p.x0)) * (p.width - 2 * p.pad);
/** y in [0, 1] upwards. */
export const yOf = (p: Plot, y: number): number =>
  p.height - p.pad - Math.min(1, Math.max(0, y)) * (p.height - 2 * p.pad);

const r1 = (n: number) => Math.round(n * 10) / 10;

/** An SVG path through the points inside the x domain, or '' when there are none. */
export function linePath(p: Plot, points: ReadonlyArray<{ x: number; y: number }>): string {
  const inside = points.filter((q) => q.x >= p.x0 && q.x <= p.x1 && Number.isFinite(q.y));
  return inside.map((q, i) => `${i ? 'L' : 'M'}${r1(xOf(p, q.x))} ${r1(yOf(p, q.y))}`).join(' ');
}

/**
 * Bars of a histogram as shares of its own total (so genuine and impostor pairs compare whatever their
 * counts), scaled so the tallest bar of either reaches `top` (0–1). Empty bins are left out.
 */
export function histogramBars(
  p: Plot,
  counts: readonly number[],
  binWidth: number,
  peak: number,
  top = 0.9,
): Array<{ x: number; y: number; width: number; height: number }> {
  const total = counts.reduce((a, b) => a + b, 0);
  if (!total || !(peak > 0)) return [];
  const out: Array<{ x: number; y: number; width: number; height: number }> = [];
  counts.forEach((n, i) => {
    const lo = i * binWidth;
    if (!n || lo < p.x0 || lo + binWidth > p.x1 + 1e-9) return;
    const share = (n / total / peak) * top;
    const x = xOf(p, lo);
    const y = yOf(p, share);
    out.push({ x: r1(x), y: r1(y), width: r1(Math.max(0.5, xOf(p, lo + binWidth) - x)), height: r1(yOf(p, 0) - y) });
  });
  return out;
}

/** The largest share of any bin in the histograms (to scale them together). */
export function peakShare(...hists: ReadonlyArray<readonly number[]>): number {
  let peak = 0;
  for (const h of hists) {
    const total = h.reduce((a, b) => a + b, 0);
    if (total) peak = Math.max(peak, ...h.map((n) => n / total));
  }
  return peak;
}

/** "1%", "0.1%", "0.0012%": percentages readable across orders of magnitude. */
export function percent(share: number): string {
  if (share === 0) return '0%';
  const pct = share * 100;
  if (pct >= 1) return `${Number(pct.toFixed(1))}%`;
  return `${Number(pct.toPrecision(2))}%`;
}
