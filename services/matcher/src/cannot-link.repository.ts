import { Injectable } from '@nestjs/common';
import { Database, type Tx } from './database/database';

/** Whose faces a `forbiddenPersons` question is about: some faces, or every face of one person. */
export type LinkSubject = { faceIds: readonly string[] } | { personId: string };

/** One cannot-linked face pair found between two persons. */
export interface LinkedPair {
  faceA: string;
  faceB: string;
}

/** Faces per person linked by a "different people" decision: one pair is enough to refuse a merge. */
export const DIFFERENT_FACES_PER_PERSON = 16;

/**
 * Cannot-links: face pairs that must never belong to one person. Stored per face pair (smaller id first),
 * so they follow the faces through merges and moves, and go with them when a person is erased (CASCADE).
 * Writers hold the MATCHING lock (see LOCKS), like every other change of who owns which face.
 */
@Injectable()
export class CannotLinkRepository {
  constructor(private readonly db: Database) {}

  /**
   * Persons that the given faces (or every face of the given person) must not join: the current owners
   * of the faces they are cannot-linked with. The decision rule excludes these; a person is never in its
   * own answer. Reads in `tx` when given (to see the caller's uncommitted writes).
   */
  async forbiddenPersons(subject: LinkSubject, tx?: Tx): Promise<Set<string>> {
    const q = tx ?? this.db.prisma;
    const rows =
      'personId' in subject
        ? await q.$queryRaw<Array<{ personId: string }>>`
            WITH mine AS (SELECT id FROM faces WHERE person_id = ${subject.personId}::uuid),
            other AS (
              SELECT c.face_b AS id FROM cannot_links c JOIN mine m ON m.id = c.face_a
              UNION SELECT c.face_a FROM cannot_links c JOIN mine m ON m.id = c.face_b
            )
            SELECT DISTINCT f.person_id::text AS "personId" FROM other o JOIN faces f ON f.id = o.id
            WHERE f.person_id <> ${subject.personId}::uuid`
        : subject.faceIds.length === 0
          ? []
          : await q.$queryRaw<Array<{ personId: string }>>`
            WITH other AS (
              SELECT face_b AS id FROM cannot_links WHERE face_a = ANY(${[...subject.faceIds]}::uuid[])
              UNION SELECT face_a FROM cannot_links WHERE face_b = ANY(${[...subject.faceIds]}::uuid[])
            )
            SELECT DISTINCT f.person_id::text AS "personId" FROM other o JOIN faces f ON f.id = o.id`;
    return new Set(rows.map((r) => r.personId));
  }

  /** One cannot-linked pair between a face of `a` and a face of `b`, or null when they may be one person. */
  async between(tx: Tx, a: string, b: string): Promise<LinkedPair | null> {
    const rows = await tx.$queryRaw<LinkedPair[]>`
      SELECT c.face_a::text AS "faceA", c.face_b::text AS "faceB"
      FROM cannot_links c JOIN faces fa ON fa.id = c.face_a JOIN faces fb ON fb.id = c.face_b
      WHERE (fa.person_id = ${a}::uuid AND fb.person_id = ${b}::uuid)
         OR (fa.person_id = ${b}::uuid AND fb.person_id = ${a}::uuid)
      LIMIT 1`;
    return rows[0] ?? null;
  }

  /** Links one face with every face of `personId` (it was rejected from them); returns the pairs added. */
  async linkFaceToPerson(tx: Tx, faceId: string, personId: string): Promise<number> {
    return tx.$executeRaw`
      INSERT INTO cannot_links (face_a, face_b)
      SELECT LEAST(${faceId}::uuid, f.id), GREATEST(${faceId}::uuid, f.id)
      FROM faces f WHERE f.person_id = ${personId}::uuid AND f.id <> ${faceId}::uuid
      ON CONFLICT DO NOTHING`;
  }

  /**
   * Links every pair of the given persons through up to `perPerson` of each one's newest faces (one linked
   * pair already refuses their merge; several keep it refused when some faces are moved away later).
   */
  async linkPersons(tx: Tx, personIds: readonly string[], perPerson = DIFFERENT_FACES_PER_PERSON): Promise<number> {
    return tx.$executeRaw`
      WITH picked AS (
        SELECT id, person_id FROM (
          SELECT id, person_id, row_number() OVER (PARTITION BY person_id ORDER BY created_at DESC, id) AS rn
          FROM faces WHERE person_id = ANY(${[...personIds]}::uuid[])
        ) ranked WHERE rn <= ${perPerson}::int
      )
      INSERT INTO cannot_links (face_a, face_b)
      SELECT LEAST(x.id, y.id), GREATEST(x.id, y.id)
      FROM picked x JOIN picked y ON x.person_id < y.person_id
      ON CONFLICT DO NOTHING`;
  }

  /** Unordered person pairs among `personIds` (either side) that hold a cannot-link, as `a|b` with a < b. */
  async linkedPersonPairs(personIds: readonly string[]): Promise<Set<string>> {
    if (personIds.length === 0) return new Set();
    const rows = await this.db.prisma.$queryRaw<Array<{ a: string; b: string }>>`
      SELECT DISTINCT LEAST(fa.person_id, fb.person_id)::text AS a, GREATEST(fa.person_id, fb.person_id)::text AS b
      FROM cannot_links c JOIN faces fa ON fa.id = c.face_a JOIN faces fb ON fb.id = c.face_b
      WHERE fa.person_id = ANY(${[...personIds]}::uuid[]) OR fb.person_id = ANY(${[...personIds]}::uuid[])`;
    return new Set(rows.map((r) => pairKey(r.a, r.b)));
  }
}

/** The key of an unordered pair of ids. */
export const pairKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);
