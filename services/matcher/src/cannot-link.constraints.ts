import { Inject, Injectable } from '@nestjs/common';
import type { Encoding } from '@glimpse/contracts';
import { MATCHER_CONFIG, type MatcherConfig } from './config';
import type { Tx } from './database/database';
import type { MatchConstraints } from './decision/constraints';
import { toVectorLiteral } from './face.repository';

/**
 * Cannot-links applied to new faces, which have no links of their own: a query face takes the links of the
 * stored face it is closest to. After "face F is not person P", a face that looks most like F must not
 * join P, and one that looks most like P's faces must not join F's new person: each side of a link keeps
 * its own look-alikes. Only a stored face within the matching threshold counts: a face like no stored one
 * takes nobody's links.
 */
@Injectable()
export class CannotLinkConstraints implements MatchConstraints {
  constructor(@Inject(MATCHER_CONFIG) private readonly config: Pick<MatcherConfig, 'THRESHOLD'>) {}

  async excludedPersons(tx: Tx, faces: ReadonlyArray<{ encoding: Encoding }>): Promise<Array<ReadonlySet<string>>> {
    const none = faces.map(() => new Set<string>());
    if (faces.length === 0) return none;
    // most galleries have no links at all: one cheap look saves a query per face
    const [{ any }] = await tx.$queryRaw<Array<{ any: boolean }>>`SELECT EXISTS (SELECT 1 FROM cannot_links) AS any`;
    if (!any) return none;
    const out: Array<Set<string>> = [];
    for (const f of faces) {
      const v = toVectorLiteral(f.encoding);
      const rows = await tx.$queryRaw<Array<{ personId: string }>>`
        WITH closest AS (SELECT id, embedding <-> ${v}::vector AS distance FROM faces ORDER BY embedding <-> ${v}::vector LIMIT 1),
        nearest AS (SELECT id FROM closest WHERE distance < ${this.config.THRESHOLD}::float8),
        other AS (
          SELECT c.face_b AS id FROM cannot_links c JOIN nearest n ON n.id = c.face_a
          UNION SELECT c.face_a FROM cannot_links c JOIN nearest n ON n.id = c.face_b
        )
        SELECT DISTINCT f.person_id::text AS "personId" FROM other o JOIN faces f ON f.id = o.id`;
      out.push(new Set(rows.map((r) => r.personId)));
    }
    return out;
  }
}
