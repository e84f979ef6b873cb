import { initialResults, isDimmed, resultsReducer, type ResultsState } from './results';
import { makeFace } from './testing';

const at = '2026-01-01T12:00:00.000Z';

describe('resultsReducer', () => {
  it('puts the newest faces first, keeping a frame in order', () => {
    let s = initialResults();
    const a = makeFace({ personId: 'a' });
    const b = makeFace({ personId: 'b' });
    const c = makeFace({ personId: 'c' });
    s = resultsReducer(s, { type: 'add', faces: [a], at, source: 'camera' });
    s = resultsReducer(s, { type: 'add', faces: [b, c], at, source: 'camera' });
    expect(s.cards.map((x) => x.face.personId)).toEqual(['b', 'c', 'a']);
    expect(s.cards[0]).toMatchObject({ key: b.faceId, at, source: 'camera' });
  });

  it('caps the list so memory stays bounded', () => {
    let s: ResultsState = initialResults(5);
    for (let i = 0; i < 12; i++) s = resultsReducer(s, { type: 'add', faces: [makeFace({ personNumber: i })], at, source: 'camera' });
    expect(s.cards).toHaveLength(5);
    expect(s.cards[0].face.personNumber).toBe(11);
    expect(s.cards[4].face.personNumber).toBe(7);
    expect(s.added).toBe(12);
  });

  it('skips a face id it already lists, and keys faces without an id uniquely', () => {
    const f = makeFace();
    let s = resultsReducer(initialResults(), { type: 'add', faces: [f], at, source: 'video' });
    const same = resultsReducer(s, { type: 'add', faces: [f], at, source: 'video' });
    expect(same).toBe(s);
    s = resultsReducer(s, {
      type: 'add',
      faces: [makeFace({ faceId: null }), makeFace({ faceId: null })],
      at,
      source: 'photo',
      thumbs: ['data:a', undefined],
    });
    expect(new Set(s.cards.map((c) => c.key)).size).toBe(3);
    expect(s.cards[0].thumb).toBe('data:a');
    expect(resultsReducer(s, { type: 'add', faces: [], at, source: 'photo' })).toBe(s);
  });

  it('toggles the highlighted person and never highlights a face without a person', () => {
    let s = initialResults();
    s = resultsReducer(s, { type: 'toggleHighlight', personId: 'a' });
    expect(s.highlight).toBe('a');
    s = resultsReducer(s, { type: 'toggleHighlight', personId: 'b' });
    expect(s.highlight).toBe('b');
    s = resultsReducer(s, { type: 'toggleHighlight', personId: 'b' });
    expect(s.highlight).toBeNull();
    s = resultsReducer(s, { type: 'toggleHighlight', personId: null });
    expect(s.highlight).toBeNull();
    s = resultsReducer(s, { type: 'highlight', personId: 'c' });
    expect(s.highlight).toBe('c');
    expect(isDimmed(s.highlight, 'c')).toBe(false);
    expect(isDimmed(s.highlight, 'd')).toBe(true);
    expect(isDimmed(s.highlight, null)).toBe(true);
    expect(isDimmed(null, 'd')).toBe(false);
  });

  it('removes a deleted person and clears everything', () => {
    let s = initialResults();
    s = resultsReducer(s, { type: 'add', faces: [makeFace({ personId: 'a' }), makeFace({ personId: 'b' })], at, source: 'camera' });
    s = resultsReducer(s, { type: 'highlight', personId: 'a' });
    s = resultsReducer(s, { type: 'removePerson', personId: 'a' });
    expect(s.cards.map((c) => c.face.personId)).toEqual(['b']);
    expect(s.highlight).toBeNull();
    expect(resultsReducer(s, { type: 'removePerson', personId: 'zzz' })).toBe(s);
    s = resultsReducer(s, { type: 'clear' });
    expect(s.cards).toEqual([]);
  });
});
