import { faceOfNobody } from '@glimpse/testing';
import type { PersonCandidate } from './rule';
import { nobody } from './nobody';

const box = { x: 1, y: 2, width: 30, height: 40 };
const empty = faceOfNobody(box);

describe('nobody', () => {
  it('answers an unknown face (watchlist) with its box and nothing that identifies anyone', () => {
    expect(nobody(box, { decision: 'unknown' })).toEqual({ ...empty, decision: 'unknown' });
  });

  it('answers an unsure face the same way, with the closest person as its guess', () => {
    const guess: PersonCandidate = { personId: 'p', personNumber: 3, personName: 'Ada', distance: 0.3, faceId: 'f' };
    const out = nobody(box, { decision: 'unsure', guess, threshold: 0.6 });
    expect(out).toMatchObject({
      ...empty,
      decision: 'unsure',
      guess: { personId: 'p', personNumber: 3, personName: 'Ada', distance: 0.3 },
    });
    expect(out.guess!.similarity).toBeGreaterThan(0);
    expect(nobody(box, { decision: 'unsure', guess: null, threshold: 0.6 })).toEqual({
      ...empty,
      decision: 'unsure',
      guess: null,
    });
  });
});
