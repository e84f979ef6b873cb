import type { Encoding } from '@glimpse/contracts';

/** Deterministic random unit vectors (mulberry32 + Box-Muller), so a failure reproduces. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(uniform() || 1e-12)) * Math.cos(2 * Math.PI * uniform());
  const direction = (): number[] => {
    const v = Array.from({ length: 128 }, gauss);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  return {
    uniform,
    unit: direction,
    /** `v` moved by exactly `distance` in a random direction. */
    near: (v: Encoding, distance: number): number[] => {
      const d = direction();
      return v.map((x, i) => x + d[i] * distance);
    },
  };
}
