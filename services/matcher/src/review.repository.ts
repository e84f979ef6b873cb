import { Injectable } from '@nestjs/common';
import { Database } from './database/database';
import type { FaceEdge } from './review';

export interface NeighbourQuery {
  personIds: readonly string[];
  /** Newest faces per person used as probes. */
  facesPerPerson: number;
  /** Nearest stored faces looked up per probe (HNSW index). */
  k: number;
  maxDistance: number;
  efSearch: number;
}

/** The review queue's reads: bounded nearest-neighbour queries, never all pairs. */
@Injectable()
export class ReviewRepository {
  constructor(private readonly db: Database) {}

  /** The `limit` most recently seen unnamed persons, and how many unnamed persons there are. */
  async unnamed(limit: number): Promise<{ ids: string[]; total: number }> {
    const p = this.db.prisma;
    const [rows, total] = await Promise.all([
      p.person.findMany({
        where: { name: null },
        orderBy: [{ lastSeenAt: 'desc' }, { number: 'desc' }],
        take: limit,
        select: { id: true },
      }),
      p.person.count({ where: { name: null } }),
    ]);
    return { ids: rows.map((r) => r.id), total };
  }

  /**
   * For a few faces of each person, the nearest faces of other persons within `maxDistance`, one index
   * lookup per face (LATERAL). Faces of the same frame are left out: two faces in one picture are two people.
   */
  async neighbours(q: NeighbourQuery): Promise<FaceEdge[]> {
    if (q.personIds.length === 0) return [];
    return this.db.transaction(async (tx) => {
      await tx.$executeRaw`SELECT set_config('hnsw.ef_search', ${String(q.efSearch)}, true)`;
      return tx.$queryRaw<FaceEdge[]>`
        WITH probe AS (
          SELECT id, person_id, embedding, source, frame_seq, captured_at FROM (
            SELECT f.id, f.person_id, f.embedding, f.source, f.frame_seq, f.captured_at,
                   row_number() OVER (PARTITION BY f.person_id ORDER BY f.created_at DESC, f.id) AS rn
            FROM faces f WHERE f.person_id = ANY(${[...q.personIds]}::uuid[])
          ) r WHERE rn <= ${q.facesPerPerson}::int
        )
        SELECT p.id::text AS "faceA", p.person_id::text AS "personA", n.id::text AS "faceB", n.person_id::text AS "personB",
               n.distance::float8 AS distance
        FROM probe p CROSS JOIN LATERAL (
          SELECT o.id, o.person_id, o.source, o.frame_seq, o.captured_at, o.embedding <-> p.embedding AS distance
          FROM faces o ORDER BY o.embedding <-> p.embedding LIMIT ${q.k}::int
        ) n
        WHERE n.person_id <> p.person_id AND n.distance < ${q.maxDistance}::float8
          AND NOT (n.source = p.source AND n.frame_seq = p.frame_seq AND n.captured_at = p.captured_at)`;
    });
  }

  /** Up to `perPerson` newest face ids of each person. */
  async newestFaces(personIds: readonly string[], perPerson: number): Promise<Map<string, string[]>> {
    const rows = personIds.length
      ? await this.db.prisma.$queryRaw<Array<{ id: string; personId: string }>>`
          SELECT id::text, person_id::text AS "personId" FROM (
            SELECT id, person_id, row_number() OVER (PARTITION BY person_id ORDER BY created_at DESC, id) AS rn
            FROM faces WHERE person_id = ANY(${[...personIds]}::uuid[])
          ) r WHERE rn <= ${perPerson}::int ORDER BY rn`
      : [];
    const out = new Map<string, string[]>();
    for (const r of rows) out.set(r.personId, [...(out.get(r.personId) ?? []), r.id]);
    return out;
  }
}
