import { pairKey } from './cannot-link.repository';
import { averageLinkage, personEdges, type FaceEdge, type PersonEdge } from './review';

const edge = (a: string, b: string, distance: number): PersonEdge => ({
  a,
  b,
  distance,
  faceA: `${a}1`,
  faceB: `${b}1`,
});
const sorted = (groups: string[][]) => groups.map((g) => [...g].sort()).sort((x, y) => x[0].localeCompare(y[0]));

describe('personEdges', () => {
  const f = (
    personA: string,
    personB: string,
    distance: number,
    faceA = `${personA}-f`,
    faceB = `${personB}-f`,
  ): FaceEdge => ({ faceA, personA, faceB, personB, distance });

  it('keeps the closest face pair per person pair, whichever way round it was found', () => {
    const edges = personEdges(
      [f('a', 'b', 0.5), f('b', 'a', 0.4, 'b2', 'a2'), f('a', 'c', 0.45), f('a', 'a', 0.1)],
      new Set(),
    );
    expect(edges).toEqual([
      { a: 'b', b: 'a', distance: 0.4, faceA: 'b2', faceB: 'a2' },
      { a: 'a', b: 'c', distance: 0.45, faceA: 'a-f', faceB: 'c-f' },
    ]);
  });

  it('drops cannot-linked person pairs', () => {
    expect(personEdges([f('a', 'b', 0.3), f('a', 'c', 0.4)], new Set([pairKey('b', 'a')]))).toEqual([
      expect.objectContaining({ a: 'a', b: 'c' }),
    ]);
  });
});

describe('averageLinkage', () => {
  it('groups persons that all look alike, and keeps apart distant components', () => {
    const groups = averageLinkage(
      [edge('a', 'b', 0.3), edge('b', 'c', 0.35), edge('a', 'c', 0.4), edge('x', 'y', 0.2)],
      0.5,
    );
    expect(sorted(groups)).toEqual([
      ['a', 'b', 'c'],
      ['x', 'y'],
    ]);
  });

  it('does not chain: A~B and B~C without A~C are two groups, B with the closer one', () => {
    const groups = averageLinkage([edge('a', 'b', 0.3), edge('b', 'c', 0.4)], 0.5);
    expect(sorted(groups)).toEqual([['a', 'b'], ['c']]);
  });

  it('never puts a cannot-linked pair together, even through a shared look-alike', () => {
    const faces: FaceEdge[] = [
      { faceA: 'a1', personA: 'a', faceB: 'b1', personB: 'b', distance: 0.3 },
      { faceA: 'b1', personA: 'b', faceB: 'c1', personB: 'c', distance: 0.3 },
      { faceA: 'a1', personA: 'a', faceB: 'c1', personB: 'c', distance: 0.35 },
    ];
    const groups = averageLinkage(personEdges(faces, new Set([pairKey('a', 'c')])), 0.5);
    expect(groups.some((g) => g.includes('a') && g.includes('c'))).toBe(false);
    expect(groups.find((g) => g.includes('b'))).toHaveLength(2);
  });

  it('joins groups only while their average distance is below the limit', () => {
    // a-b close, c close to both, d far from a on average
    const edges = [
      edge('a', 'b', 0.2),
      edge('a', 'c', 0.3),
      edge('b', 'c', 0.3),
      edge('c', 'd', 0.2),
      edge('a', 'd', 0.59),
      edge('b', 'd', 0.59),
    ];
    expect(sorted(averageLinkage(edges, 0.45))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(sorted(averageLinkage(edges, 0.6))).toEqual([['a', 'b', 'c', 'd']]);
    expect(averageLinkage(edges, 0.1)).toEqual([]);
  });
});
