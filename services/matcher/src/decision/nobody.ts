import { similarity, type Box, type RecognizedFace } from '@glimpse/contracts';
import type { PersonCandidate } from './rule';

/**
 * Why a face is nobody's: `unsure` (neither a match nor safely new; the closest person is the guess) or
 * `unknown` (watchlist mode, docs/privacy.md: none of the enrolled, named persons).
 */
export type Nobody = { decision: 'unsure'; guess: PersonCandidate | null; threshold: number } | { decision: 'unknown' };

/** The answer for a face that is nobody's: nothing is stored for it, so it has no face or person id. */
export function nobody(box: Box, why: Nobody): RecognizedFace {
  const face: RecognizedFace = {
    faceId: null,
    box,
    personId: null,
    personNumber: null,
    personName: null,
    isNew: false,
    distance: null,
    similarity: null,
    decision: why.decision,
  };
  if (why.decision === 'unsure') face.guess = why.guess && guessOf(why.guess, why.threshold);
  return face;
}

function guessOf(p: PersonCandidate, threshold: number): NonNullable<RecognizedFace['guess']> {
  return {
    personId: p.personId,
    personNumber: p.personNumber,
    personName: p.personName,
    distance: p.distance,
    similarity: similarity(p.distance, threshold),
  };
}
