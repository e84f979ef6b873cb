import { pairKey } from './cannot-link.repository';

/** Two faces of different persons close to each other. */
export interface FaceEdge {
  faceA: string;
  personA: string;
  faceB: string;
  personB: string;
  distance: number;
}

/** The closest face pair between two persons. */
export interface PersonEdge {
  a: string;
  b: string;
  distance: number;
  faceA: string;
  faceB: string;
}

/** A component this large is clustered only through its closest edges (the linkage is cubic). */
export const MAX_COMPONENT = 150;

/**
 * One edge per person pair (its closest faces), leaving out pairs that hold a cannot-link (`forbidden`,
 * keys from pairKey), so constrained persons are never joined, not even through a third person.
 */
export function personEdges(faces: readonly FaceEdge[], forbidden: ReadonlySet<string>): PersonEdge[] {
  const best = new Map<string, PersonEdge>();
  for (const f of faces) {
    if (f.personA === f.personB) continue;
    const key = pairKey(f.personA, f.personB);
    if (forbidden.has(key)) continue;
    const seen = best.get(key);
    if (!seen || f.distance < seen.distance)
      best.set(key, { a: f.personA, b: f.personB, distance: f.distance, faceA: f.faceA, faceB: f.faceB });
  }
  return [...best.values()];
}

/**
 * Average-linkage agglomerative clustering of persons: repeatedly joins the two closest groups while their
 * average person-to-person distance is below `maxDistance`. A pair without an edge (too far apart, or
 * cannot-linked) counts as infinitely far, so a group forms only where every two members look alike:
 * no chaining A~B~C into one group when A and C differ. Runs per connected component.
 */
export function averageLinkage(edges: readonly PersonEdge[], maxDistance: number): string[][] {
  const dist = new Map<string, number>();
  for (const e of edges) if (e.distance < maxDistance) dist.set(pairKey(e.a, e.b), e.distance);
  const out: string[][] = [];
  for (const component of components(edges.filter((e) => e.distance < maxDistance))) {
    out.push(...linkComponent(component.slice(0, MAX_COMPONENT), dist, maxDistance));
  }
  return out;
}

function linkComponent(nodes: string[], dist: ReadonlyMap<string, number>, maxDistance: number): string[][] {
  let clusters = nodes.map((n) => [n]);
  for (;;) {
    let best: { i: number; j: number; d: number } | null = null;
    for (let i = 0; i < clusters.length; i++) {
      for (let j = i + 1; j < clusters.length; j++) {
        const d = average(clusters[i], clusters[j], dist);
        if (d < maxDistance && (!best || d < best.d)) best = { i, j, d };
      }
    }
    if (!best) return clusters;
    const { i, j } = best;
    clusters = [...clusters.filter((_, k) => k !== i && k !== j), [...clusters[i], ...clusters[j]]];
  }
}

function average(x: readonly string[], y: readonly string[], dist: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const a of x) {
    for (const b of y) {
      const d = dist.get(pairKey(a, b));
      if (d === undefined) return Infinity;
      total += d;
    }
  }
  return total / (x.length * y.length);
}

/** Connected components of the edge graph, nodes in first-seen order (edges closest first). */
function components(edges: readonly PersonEdge[]): string[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const sorted = [...edges].sort((p, q) => p.distance - q.distance);
  for (const e of sorted) {
    for (const n of [e.a, e.b]) if (!parent.has(n)) parent.set(n, n);
    parent.set(find(e.a), find(e.b));
  }
  const groups = new Map<string, string[]>();
  for (const n of parent.keys()) {
    const r = find(n);
    groups.set(r, [...(groups.get(r) ?? []), n]);
  }
  return [...groups.values()];
}
