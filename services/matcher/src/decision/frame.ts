import { assign } from './assign';
import { acceptable, judge, type PersonCandidate, type PersonRuleParams, type Verdict } from './rule';

/** One face of a frame, with its candidate persons (closest first). */
export interface FaceToDecide {
  candidates: readonly PersonCandidate[];
  /** Good enough to start a person (see isGoodFace). */
  good: boolean;
  /** Persons this face must not be given (e.g. cannot-links). */
  excluded?: ReadonlySet<string>;
}

export type FrameRule = Pick<PersonRuleParams, 'ratio' | 'unsureBand' | 'ambiguous'> & { threshold: number };

/**
 * Decides all faces of one frame together: two faces of one frame are never the same person. Each face
 * may take any person it finds acceptable; a minimum-cost assignment (cost: distance) picks the set of
 * matches, with a "new" column per face priced at the threshold so that a match is always preferred.
 * A face that lost a person to another face of the frame is judged again without that person, and the
 * assignment repeats until no face loses one (each round removes a candidate, so it ends).
 */
export function decideFrame(faces: readonly FaceToDecide[], rule: FrameRule): Verdict[] {
  let allowed = faces.map((f) => withoutPersons(f.candidates, f.excluded));
  for (;;) {
    const chosen = assignOnce(allowed, rule);
    const taken = new Set(chosen.flatMap((c) => (c ? [c.personId] : [])));
    let changed = false;
    allowed = allowed.map((cands, i) => {
      if (chosen[i]) return cands;
      const kept = cands.filter((c) => !taken.has(c.personId));
      changed ||= kept.length !== cands.length;
      return kept;
    });
    if (!changed) {
      return chosen.map((c, i) =>
        c ? { kind: 'match', person: c } : judge(allowed[i], rule.threshold, faces[i].good, rule),
      );
    }
  }
}

function withoutPersons(cands: readonly PersonCandidate[], excluded?: ReadonlySet<string>): PersonCandidate[] {
  return excluded?.size ? cands.filter((c) => !excluded.has(c.personId)) : [...cands];
}

/** The person each face is given by one assignment, or null for "not a match". */
function assignOnce(allowed: readonly PersonCandidate[][], rule: FrameRule): Array<PersonCandidate | null> {
  const persons = [...new Set(allowed.flatMap((cands) => cands.map((c) => c.personId)))];
  const column = new Map(persons.map((id, j) => [id, j]));
  const n = allowed.length;
  const cost = allowed.map((cands, i) => {
    const row = new Array<number>(persons.length + n).fill(Infinity);
    for (const c of cands)
      if (acceptable(c, cands, rule.threshold, rule.ratio)) row[column.get(c.personId)!] = c.distance;
    row[persons.length + i] = rule.threshold;
    return row;
  });
  return assign(cost).map((j, i) => (j < persons.length ? allowed[i].find((c) => c.personId === persons[j])! : null));
}
