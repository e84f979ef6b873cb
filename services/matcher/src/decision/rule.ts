import type { FaceQuality } from '@glimpse/contracts';

/** One stored person as a candidate for a query face. */
export interface PersonCandidate {
  personId: string;
  personNumber: number;
  personName: string | null;
  /** The distance the rule decides on (nearest: the closest face; person: see PersonRuleParams.personFaces). */
  distance: number;
  /** The closest of the person's stored faces. */
  faceId: string;
}

export type Verdict =
  { kind: 'match'; person: PersonCandidate } | { kind: 'new' } | { kind: 'unsure'; guess: PersonCandidate | null };

/** The person rule's parameters (MATCH_* settings in config.ts; how they were chosen: docs/identity.md). */
export interface PersonRuleParams {
  /** Person distance accepted while the gallery holds at most `referencePersons` persons. */
  distance: number;
  /** How much the accepted distance shrinks per tenfold growth of the gallery beyond `referencePersons`. */
  slope: number;
  referencePersons: number;
  /** The best person must be at most this fraction of the distance to the next person (1 = no test). */
  ratio: number;
  /** Faces beyond the accepted distance by less than this are `unsure`, not new. */
  unsureBand: number;
  /** What a face within the distance of two persons, closer to neither by the ratio, is. */
  ambiguous: 'new' | 'unsure';
  /** Faces too poor to start a person or join the gallery (they may still match). */
  quality: QualityGate;
}

export interface QualityGate {
  minFacePx: number;
  minSharpness: number;
  /** Largest |yaw| (see faceQualitySchema) */
  maxYaw: number;
}

/** The distance a match must be under when the gallery holds `persons` persons. */
export function acceptDistance(
  persons: number,
  p: Pick<PersonRuleParams, 'distance' | 'slope' | 'referencePersons'>,
): number {
  const growth = Math.max(persons, p.referencePersons) / p.referencePersons;
  return p.distance - p.slope * Math.log10(growth);
}

/** Whether a face is good enough to start a person or be stored as a sample of one. No quality: good. */
export function isGoodFace(q: FaceQuality | undefined, gate: QualityGate): boolean {
  if (!q) return true;
  if (q.faceWidth < gate.minFacePx || q.sharpness < gate.minSharpness) return false;
  return q.yaw === undefined || Math.abs(q.yaw) <= gate.maxYaw;
}

/**
 * Whether `c` may be chosen for a face whose other candidates are `others`: close enough, and clearly
 * closer than every other person (the ratio test), so a look-alike makes the face unsure instead.
 */
export function acceptable(
  c: PersonCandidate,
  others: readonly PersonCandidate[],
  threshold: number,
  ratio: number,
): boolean {
  if (!(c.distance < threshold)) return false;
  return others.every((o) => o.personId === c.personId || c.distance <= ratio * o.distance);
}

/**
 * The verdict for one face among `candidates` (closest first; persons this face must not get already
 * removed). A match needs a person that is acceptable. Otherwise: a poor face is unsure (it never starts
 * a person); a face within the threshold but not clearly closer to one person than to the next is
 * `ambiguous` (new or unsure, per setting); one beyond the threshold by less than `unsureBand` is unsure;
 * anything else is new. An unsure face names the closest person as its guess.
 */
export function judge(
  candidates: readonly PersonCandidate[],
  threshold: number,
  good: boolean,
  p: Pick<PersonRuleParams, 'ratio' | 'unsureBand' | 'ambiguous'>,
): Verdict {
  const [best] = candidates;
  if (best && acceptable(best, candidates, threshold, p.ratio)) return { kind: 'match', person: best };
  const unsure: Verdict = { kind: 'unsure', guess: best ?? null };
  if (!good) return unsure;
  if (!best || best.distance >= threshold + p.unsureBand) return { kind: 'new' };
  if (best.distance < threshold) return p.ambiguous === 'new' ? { kind: 'new' } : unsure;
  return unsure;
}
