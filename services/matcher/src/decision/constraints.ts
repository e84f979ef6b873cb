import { Injectable } from '@nestjs/common';
import type { Encoding } from '@glimpse/contracts';
import type { Tx } from '../database/database';

/**
 * Persons a query face must not be given, beyond the same-frame rule (e.g. "not this person" links that
 * users recorded). One set per query face, in order. Bound to MATCH_CONSTRAINTS; the default has none.
 */
export interface MatchConstraints {
  excludedPersons(tx: Tx, faces: ReadonlyArray<{ encoding: Encoding }>): Promise<Array<ReadonlySet<string>>>;
}

export const MATCH_CONSTRAINTS = Symbol('MatchConstraints');

@Injectable()
export class NoMatchConstraints implements MatchConstraints {
  async excludedPersons(_tx: Tx, faces: ReadonlyArray<{ encoding: Encoding }>): Promise<Array<ReadonlySet<string>>> {
    return faces.map(() => new Set<string>());
  }
}
