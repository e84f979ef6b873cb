/**
 * Minimum-cost assignment of rows to distinct columns (Hungarian algorithm, shortest augmenting paths,
 * O(rows² · cols)). `cost[i][j]` may be `Infinity` for a pair that must not be chosen; every row must
 * have at least one finite column, which the caller guarantees with one "new person" column per row.
 * Frames hold a handful of faces, so a dense matrix is fine.
 */
export function assign(cost: readonly (readonly number[])[]): number[] {
  const n = cost.length;
  if (n === 0) return [];
  const m = cost[0].length;
  if (m < n) throw new RangeError(`assignment needs at least as many columns (${m}) as rows (${n})`);
  if (cost.some((row) => row.length !== m)) throw new RangeError('assignment rows differ in length');
  // Infinity would poison the potentials; a large finite cost keeps the algorithm exact for the rest.
  const big =
    1 +
    cost
      .flat()
      .filter(Number.isFinite)
      .reduce((a, c) => a + Math.abs(c), 0) *
      2;
  const c = (i: number, j: number) => (Number.isFinite(cost[i][j]) ? cost[i][j] : big);
  const u = new Array<number>(n + 1).fill(0);
  const v = new Array<number>(m + 1).fill(0);
  const owner = new Array<number>(m + 1).fill(0); // owner[j]: 1-based row holding column j (0 = free)
  const way = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    owner[0] = i;
    let j0 = 0;
    const minv = new Array<number>(m + 1).fill(Infinity);
    const used = new Array<boolean>(m + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = owner[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = c(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[owner[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (owner[j0] !== 0);
    do {
      const j1 = way[j0];
      owner[j0] = owner[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const out = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (owner[j] !== 0) out[owner[j] - 1] = j - 1;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(cost[i][out[i]])) throw new RangeError(`row ${i} has no allowed column`);
  }
  return out;
}
