import type { PersonCandidate } from '../decision/rule';
import { watchlistVerdict } from './watchlist';

const person = (personName: string | null): PersonCandidate => ({
  personId: 'p',
  personNumber: 1,
  personName,
  distance: 0.3,
  faceId: 'f',
});

describe('watchlistVerdict', () => {
  it('keeps a match with a named person', () => {
    const v = { kind: 'match' as const, person: person('Ada') };
    expect(watchlistVerdict(v)).toBe(v);
  });

  it('makes a match with an unnamed person, and a new person, unknown', () => {
    expect(watchlistVerdict({ kind: 'match', person: person(null) })).toEqual({ kind: 'unknown' });
    expect(watchlistVerdict({ kind: 'new' })).toEqual({ kind: 'unknown' });
  });

  it('keeps unsure only when its guess is named', () => {
    const v = { kind: 'unsure' as const, guess: person('Ada') };
    expect(watchlistVerdict(v)).toBe(v);
    expect(watchlistVerdict({ kind: 'unsure', guess: person(null) })).toEqual({ kind: 'unknown' });
    expect(watchlistVerdict({ kind: 'unsure', guess: null })).toEqual({ kind: 'unknown' });
  });
});
