import { cardMatchText, initialResults, isDimmed, resultsReducer, type ResultsState } from './results';
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
    for (let i = 0; i < 12; i++)
      s = resultsReducer(s, { type: 'add', faces: [makeFace({ personNumber: i })], at, source: 'camera' });
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
    s = resultsReducer(s, {
      type: 'add',
      faces: [makeFace({ personId: 'a' }), makeFace({ personId: 'b' })],
      at,
      source: 'camera',
    });
    s = resultsReducer(s, { type: 'highlight', personId: 'a' });
    s = resultsReducer(s, { type: 'removePerson', personId: 'a' });
    expect(s.cards.map((c) => c.face.personId)).toEqual(['b']);
    expect(s.highlight).toBeNull();
    expect(resultsReducer(s, { type: 'removePerson', personId: 'zzz' })).toBe(s);
    s = resultsReducer(s, { type: 'clear' });
    expect(s.cards).toEqual([]);
  });
});

describe('resultsReducer: one card per sighting', () => {
  const t = (s: number) => `2026-01-01T12:00:${String(s).padStart(2, '0')}.000Z`;
  const add = (s: ResultsState, faces: ReturnType<typeof makeFace>[], sec: number, seq: number) =>
    resultsReducer(s, { type: 'add', faces, at: t(sec), source: 'camera', seq });

  it("updates the sighting's card in place: last seen, frames, best crop and best similarity", () => {
    let s = initialResults();
    s = add(s, [makeFace({ sightingId: 's1', personId: 'a', isNew: true, similarity: null })], 0, 1);
    s = add(s, [makeFace({ sightingId: 's2', personId: 'b' })], 1, 2);
    const bestCrop = makeFace({ sightingId: 's1', personId: 'a', similarity: 91 });
    s = add(s, [bestCrop], 2, 3);
    // most stream faces are not stored: no crop of their own, and a lower similarity
    s = add(s, [makeFace({ sightingId: 's1', personId: 'a', faceId: null, cropUrl: null, similarity: 80 })], 3, 4);
    expect(s.cards.map((c) => c.key)).toEqual(['sighting:s2', 'sighting:s1']);
    expect(s.cards[1]).toMatchObject({
      firstAt: t(0),
      at: t(3),
      frames: 3,
      cropUrl: bestCrop.cropUrl,
      bestSimilarity: 91,
    });
    expect(cardMatchText(s.cards[1])).toBe('3 frames · best similarity 91%');
    expect(s.cards[1].startedNew).toBe(true);
    expect(cardMatchText(s.cards[0])).toBe('Similarity 97%');
  });

  it('counts a frame once: a re-delivered frame or two faces of one frame add no frames', () => {
    let s = initialResults();
    s = add(s, [makeFace({ sightingId: 's1', faceId: null }), makeFace({ sightingId: 's1', faceId: null })], 0, 7);
    expect(s.cards).toHaveLength(1);
    expect(s.cards[0].frames).toBe(1);
    s = add(s, [makeFace({ sightingId: 's1', faceId: null })], 0, 7);
    expect(s.cards[0].frames).toBe(1);
    s = add(s, [makeFace({ sightingId: 's1', faceId: null })], 1, 8);
    expect(s.cards[0].frames).toBe(2);
    const fresh = add(
      initialResults(),
      [makeFace({ sightingId: 's3', isNew: true, similarity: null }), makeFace({ sightingId: 's3', similarity: null })],
      0,
      1,
    );
    expect(cardMatchText(add(fresh, [makeFace({ sightingId: 's3', similarity: null })], 1, 2).cards[0])).toBe(
      'First time seen · 2 frames',
    );
  });

  it('keeps a card per face for faces without a sighting (photos), and 120 snapshots of one person are one card', () => {
    let s = initialResults();
    for (let i = 0; i < 120; i++) s = add(s, [makeFace({ sightingId: 's9', faceId: null })], i % 60, i);
    expect(s.cards).toHaveLength(1);
    expect(s.cards[0].frames).toBe(120);
    s = resultsReducer(s, { type: 'add', faces: [makeFace(), makeFace()], at, source: 'photo' });
    expect(s.cards).toHaveLength(3);
  });
});
