import { decideFrame, type FrameRule } from './frame';
import { acceptDistance, isGoodFace, judge, type PersonCandidate } from './rule';

const cand = (personId: string, distance: number): PersonCandidate => ({
  personId,
  personNumber: personId.charCodeAt(0),
  personName: null,
  faceId: `face-of-${personId}`,
  distance,
});
const RULE: FrameRule = { threshold: 0.5, ratio: 0.9, unsureBand: 0.05, ambiguous: 'new' };
const GATE = { minFacePx: 40, minSharpness: 5, maxYaw: 0.35 };

describe('acceptDistance', () => {
  const p = { distance: 0.5, slope: 0.03, referencePersons: 100 };
  it('holds up to the reference gallery size, then shrinks by the slope per tenfold growth', () => {
    expect(acceptDistance(0, p)).toBe(0.5);
    expect(acceptDistance(100, p)).toBe(0.5);
    expect(acceptDistance(1000, p)).toBeCloseTo(0.47, 10);
    expect(acceptDistance(10_000, p)).toBeCloseTo(0.44, 10);
  });
});

describe('isGoodFace', () => {
  it('passes a face without quality, and one that clears every gate', () => {
    expect(isGoodFace(undefined, GATE)).toBe(true);
    expect(isGoodFace({ faceWidth: 40, sharpness: 5, yaw: -0.35 }, GATE)).toBe(true);
    expect(isGoodFace({ faceWidth: 80, sharpness: 50 }, GATE)).toBe(true);
  });
  it.each([
    ['tiny', { faceWidth: 39, sharpness: 50 }],
    ['blurred', { faceWidth: 80, sharpness: 4.9 }],
    ['turned away', { faceWidth: 80, sharpness: 50, yaw: 0.36 }],
  ])('fails a %s face', (_, q) => expect(isGoodFace(q, GATE)).toBe(false));
});

describe('judge', () => {
  it('matches the closest person when clearly closer than the next', () => {
    expect(judge([cand('a', 0.3), cand('b', 0.45)], 0.5, true, RULE)).toEqual({
      kind: 'match',
      person: cand('a', 0.3),
    });
  });
  it('matches nobody between two look-alikes (ratio test): new, or unsure with the closest as the guess', () => {
    const lookAlikes = [cand('a', 0.4), cand('b', 0.42)];
    expect(judge(lookAlikes, 0.5, true, RULE)).toEqual({ kind: 'new' });
    expect(judge(lookAlikes, 0.5, true, { ...RULE, ambiguous: 'unsure' })).toEqual({
      kind: 'unsure',
      guess: cand('a', 0.4),
    });
  });
  it('is new beyond the threshold and its unsure band, unsure inside the band', () => {
    expect(judge([cand('a', 0.55)], 0.5, true, RULE)).toEqual({ kind: 'new' });
    expect(judge([cand('a', 0.52)], 0.5, true, RULE)).toEqual({ kind: 'unsure', guess: cand('a', 0.52) });
    expect(judge([], 0.5, true, RULE)).toEqual({ kind: 'new' });
  });
  it('never makes a poor face new, but lets it match', () => {
    expect(judge([cand('a', 0.7)], 0.5, false, RULE)).toEqual({ kind: 'unsure', guess: cand('a', 0.7) });
    expect(judge([], 0.5, false, RULE)).toEqual({ kind: 'unsure', guess: null });
    expect(judge([cand('a', 0.2)], 0.5, false, RULE)).toEqual({ kind: 'match', person: cand('a', 0.2) });
  });
});

describe('decideFrame', () => {
  it('never gives two faces of one frame the same person: the closer face keeps them', () => {
    const out = decideFrame(
      [
        { candidates: [cand('a', 0.35), cand('z', 0.9)], good: true },
        { candidates: [cand('a', 0.3), cand('z', 0.95)], good: true },
      ],
      RULE,
    );
    expect(out).toEqual([{ kind: 'new' }, { kind: 'match', person: cand('a', 0.3) }]);
  });

  it('chooses the assignment with most matches at the least distance (nearest rule, no ratio test)', () => {
    const nearest: FrameRule = { threshold: 0.6, ratio: Infinity, unsureBand: 0, ambiguous: 'new' };
    const out = decideFrame(
      [
        { candidates: [cand('a', 0.3), cand('b', 0.5)], good: true },
        { candidates: [cand('a', 0.32)], good: true },
      ],
      nearest,
    );
    expect(out).toEqual([
      { kind: 'match', person: cand('b', 0.5) },
      { kind: 'match', person: cand('a', 0.32) },
    ]);
  });

  it('judges a face that lost its person again without them (here the next person passes the ratio test)', () => {
    const out = decideFrame(
      [
        { candidates: [cand('a', 0.2)], good: true },
        { candidates: [cand('a', 0.25), cand('b', 0.3), cand('c', 0.6)], good: true },
      ],
      RULE,
    );
    expect(out).toEqual([
      { kind: 'match', person: cand('a', 0.2) },
      { kind: 'match', person: cand('b', 0.3) },
    ]);
  });

  it('never gives a face a person it is excluded from', () => {
    const out = decideFrame(
      [{ candidates: [cand('a', 0.2), cand('b', 0.6)], good: true, excluded: new Set(['a']) }],
      RULE,
    );
    expect(out).toEqual([{ kind: 'new' }]);
  });

  it('decides many faces with shared candidates consistently: distinct persons, each acceptable', () => {
    const faces = Array.from({ length: 6 }, (_, i) => ({
      candidates: ['a', 'b', 'c']
        .map((p, j) => cand(p, 0.1 + 0.05 * ((i + j) % 3) + 0.01 * i))
        .sort((x, y) => x.distance - y.distance),
      good: true,
    }));
    const out = decideFrame(faces, { threshold: 0.6, ratio: Infinity, unsureBand: 0, ambiguous: 'new' });
    const persons = out.flatMap((v) => (v.kind === 'match' ? [v.person.personId] : []));
    expect(persons.sort()).toEqual(['a', 'b', 'c']);
    expect(out.filter((v) => v.kind === 'new')).toHaveLength(3);
  });
});
