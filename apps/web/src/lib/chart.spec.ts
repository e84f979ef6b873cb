import { histogramBars, linePath, peakShare, percent, xOf, yOf, type Plot } from './chart';

const plot: Plot = { width: 220, height: 120, pad: 10, x0: 0, x1: 1 };

describe('chart geometry', () => {
  it('maps the domain onto the inner box, y upwards and clamped to 0–1', () => {
    expect(xOf(plot, 0)).toBe(10);
    expect(xOf(plot, 1)).toBe(210);
    expect(yOf(plot, 0)).toBe(110);
    expect(yOf(plot, 1)).toBe(10);
    expect(yOf(plot, 2)).toBe(10);
  });

  it('draws a path through the points inside the domain only', () => {
    expect(
      linePath(plot, [
        { x: 0, y: 0 },
        { x: 0.5, y: 0.5 },
        { x: 1.5, y: 1 },
      ]),
    ).toBe('M10 110 L110 60');
    expect(linePath(plot, [])).toBe('');
  });

  it('scales two histograms to their shares, so a small and a large set compare', () => {
    const genuine = [0, 2, 2, 0];
    const impostor = [0, 0, 10, 30];
    const peak = peakShare(genuine, impostor);
    expect(peak).toBe(0.75);
    const g = histogramBars({ ...plot, x1: 0.4 }, genuine, 0.1, peak, 0.75);
    expect(g).toHaveLength(2);
    expect(g[0]).toEqual({ x: 60, y: 60, width: 50, height: 50 }); // half of the pairs: two thirds of the peak height
    expect(histogramBars(plot, [0, 0], 0.1, peak)).toEqual([]);
  });

  it('writes percentages across orders of magnitude', () => {
    expect(percent(0)).toBe('0%');
    expect(percent(0.0123)).toBe('1.2%');
    expect(percent(0.001)).toBe('0.1%');
    expect(percent(0.0000123)).toBe('0.0012%');
  });
});
