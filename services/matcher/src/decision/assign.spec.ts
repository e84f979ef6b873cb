import { assign } from './assign';

/** Every permutation's cost, to check the assignment is the cheapest. */
function bruteForce(cost: number[][]): number {
  const n = cost.length;
  const m = cost[0].length;
  let best = Infinity;
  const walk = (i: number, used: Set<number>, sum: number) => {
    if (i === n) return void (best = Math.min(best, sum));
    for (let j = 0; j < m; j++)
      if (!used.has(j) && Number.isFinite(cost[i][j])) walk(i + 1, new Set(used).add(j), sum + cost[i][j]);
  };
  walk(0, new Set(), 0);
  return best;
}

describe('assign', () => {
  it('gives each row a distinct column at the least total cost', () => {
    const cost = [
      [0.3, 0.35, 0.6, Infinity],
      [0.32, Infinity, Infinity, 0.6],
    ];
    const out = assign(cost);
    expect(out).toEqual([1, 0]);
  });

  it('never picks a forbidden column while an allowed one exists', () => {
    expect(
      assign([
        [Infinity, 5],
        [1, Infinity],
      ]),
    ).toEqual([1, 0]);
  });

  it('matches brute force on random matrices with forbidden cells', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(rnd() * 4);
      const m = n + Math.floor(rnd() * 4);
      const cost = Array.from({ length: n }, (_, i) =>
        Array.from({ length: m }, (_, j) => (j === m - n + i ? 1 : rnd() < 0.3 ? Infinity : rnd())),
      );
      const out = assign(cost);
      expect(new Set(out).size).toBe(n);
      expect(out.reduce((a, j, i) => a + cost[i][j], 0)).toBeCloseTo(bruteForce(cost), 9);
    }
  });

  it('refuses fewer columns than rows, ragged rows, and a row with no allowed column', () => {
    expect(assign([])).toEqual([]);
    expect(() => assign([[1], [2]])).toThrow(RangeError);
    expect(() => assign([[1, 2], [3]])).toThrow(RangeError);
    expect(() => assign([[Infinity, Infinity]])).toThrow(/no allowed column/);
  });
});
