import type { PersonCandidate, Verdict } from '../decision/rule';

/** What a face's verdict means in RECOGNITION_MODE=watchlist: a named person's verdict, or `unknown`. */
export type WatchlistVerdict = Verdict | { kind: 'unknown' };

const named = (p: PersonCandidate | null): p is PersonCandidate => p !== null && p.personName !== null;

/**
 * Watchlist mode (docs/privacy.md) matches enrolled, named persons only: a match with an unnamed person
 * and a face that would start a new person are both `unknown`, for which nothing is stored. An `unsure`
 * face stays unsure (nothing is stored for it either), but names a guess only when the guess is named.
 */
export function watchlistVerdict(verdict: Verdict): WatchlistVerdict {
  if (verdict.kind === 'match') return named(verdict.person) ? verdict : { kind: 'unknown' };
  if (verdict.kind === 'unsure') return named(verdict.guess) ? verdict : { kind: 'unknown' };
  return { kind: 'unknown' };
}
