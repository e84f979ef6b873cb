import type { PersonCandidate, Verdict } from './rule';
import { pooledMean, stickToTrack, TrackPool, type Pooled, type TrackParams } from './tracks';

const PARAMS: TrackParams = { faces: 3, idleMs: 10_000, maxTracks: 2, minGoodAfterUnsure: 2 };
const P = '11111111-1111-4111-8111-111111111111';
const Q = '22222222-2222-4222-8222-222222222222';
const enc = (v: number) => [v, -v];
const good = (v: number) => ({ encoding: enc(v), good: true });
const poor = (v: number) => ({ encoding: enc(v), good: false });
const candidate = (personId: string, distance: number): PersonCandidate => ({
  personId,
  personNumber: 1,
  personName: null,
  faceId: 'f',
  distance,
});
const update = (
  key: string,
  sample: { encoding: number[]; good: boolean },
  at: number,
  personId: string | null = null,
  unsure = false,
) => ({
  key,
  sample,
  personId,
  unsure,
  at,
});

describe('TrackPool', () => {
  const key = TrackPool.key('cam1', 't1');

  it('pools a track’s latest good faces (poor ones only while there is no good one), up to the bound', () => {
    const pool = new TrackPool(PARAMS);
    pool.apply(update(key, poor(1), 0));
    expect(pool.pool(key, poor(3), 1).encoding).toEqual([2, -2]);
    expect(pool.pool(key, good(5), 1).encoding).toEqual([5, -5]);
    pool.apply(update(key, good(0), 1));
    pool.apply(update(key, good(3), 2));
    pool.apply(update(key, good(6), 3));
    // the bound is 3: 3, 6 and the new 9 remain
    expect(pool.pool(key, good(9), 4).encoding).toEqual([6, -6]);
  });

  it('keeps the person a track was given, and lets an unsure track start a person only from two good faces', () => {
    const pool = new TrackPool(PARAMS);
    pool.apply(update(key, poor(1), 0, null, true));
    expect(pool.pool(key, good(1), 1)).toMatchObject({ good: false, personId: null });
    pool.apply(update(key, good(1), 1, null, true));
    expect(pool.pool(key, good(1), 2)).toMatchObject({ good: true, personId: null });
    expect(pool.pool(key, poor(1), 2).good).toBe(false); // the face itself would be the person's first
    pool.apply(update(key, good(1), 2, P));
    pool.apply(update(key, poor(1), 3, null, true)); // an unsure face later does not take the person away
    expect(pool.pool(key, poor(1), 4).personId).toBe(P);
  });

  it('is bound to a person by a good face only: a poor face may match someone wrongly', () => {
    const pool = new TrackPool(PARAMS);
    pool.apply(update(key, poor(1), 0, Q));
    expect(pool.pool(key, good(1), 1).personId).toBeNull();
    pool.apply(update(key, good(1), 1, P));
    pool.apply(update(key, poor(1), 2, Q));
    expect(pool.pool(key, good(1), 3).personId).toBe(P);
  });

  it('lets a fresh track start a person from its first good face, as a single snapshot would', () => {
    expect(new TrackPool(PARAMS).pool(key, good(1), 0)).toEqual({ encoding: enc(1), good: true, personId: null });
  });

  it('forgets a track idle longer than idleMs, and the least recently seen beyond maxTracks', () => {
    const pool = new TrackPool(PARAMS);
    pool.apply(update(key, good(1), 0, P));
    expect(pool.pool(key, good(1), 10_000).personId).toBe(P);
    expect(pool.pool(key, good(1), 10_001).personId).toBeNull();
    const [a, b, c] = ['a', 'b', 'c'].map((t) => TrackPool.key('cam1', t));
    pool.apply(update(a, good(1), 20_000, P));
    pool.apply(update(b, good(1), 20_001, Q));
    pool.apply(update(a, good(1), 20_002, P)); // a is now the most recent
    pool.apply(update(c, good(1), 20_003));
    expect(pool.size).toBe(2);
    expect(pool.pool(b, good(1), 20_004).personId).toBeNull();
    expect(pool.pool(a, good(1), 20_004).personId).toBe(P);
  });

  it('keeps streams apart: one track id in two streams is two tracks', () => {
    const pool = new TrackPool(PARAMS);
    pool.apply(update(TrackPool.key('cam1', 't'), good(1), 0, P));
    expect(pool.pool(TrackPool.key('cam2', 't'), good(1), 1).personId).toBeNull();
  });
});

describe('pooledMean', () => {
  it('is the plain mean of the good faces, leaving the poor ones out', () => {
    expect(pooledMean([good(1), poor(100), good(3)])).toEqual([2, -2]);
  });
});

describe('stickToTrack', () => {
  const pooled = (personId: string | null): Pooled => ({ encoding: enc(0), good: true, personId });
  const lookup = (cands: PersonCandidate[]) => (id: string) => cands.find((c) => c.personId === id);

  it('turns a poor or new face of a matched track into its person when the person is a candidate', () => {
    const own = candidate(P, 0.62);
    for (const v of [{ kind: 'unsure', guess: own }, { kind: 'new' }] as Verdict[]) {
      expect(stickToTrack(v, pooled(P), new Set(), lookup([own]))).toEqual({ kind: 'match', person: own });
    }
  });

  it('follows a clear match to someone else (the evidence contradicts the track)', () => {
    const other: Verdict = { kind: 'match', person: candidate(Q, 0.3) };
    expect(stickToTrack(other, pooled(P), new Set([Q]), lookup([candidate(Q, 0.3), candidate(P, 0.5)]))).toBe(other);
  });

  it('never starts a second person for a track, and never gives its person to two faces of a frame', () => {
    expect(stickToTrack({ kind: 'new' }, pooled(P), new Set(), lookup([]))).toEqual({ kind: 'unsure', guess: null });
    const guess: Verdict = { kind: 'unsure', guess: candidate(P, 0.6) };
    expect(stickToTrack(guess, pooled(P), new Set([P]), lookup([candidate(P, 0.6)]))).toBe(guess);
  });

  it('changes nothing for a face without a track person', () => {
    const v: Verdict = { kind: 'new' };
    expect(stickToTrack(v, pooled(null), new Set(), lookup([]))).toBe(v);
    expect(stickToTrack(v, undefined, new Set(), lookup([]))).toBe(v);
  });
});
