import { Injectable } from '@nestjs/common';
import { Database } from './database/database';

export interface HistogramQuery {
  binWidth: number;
  bins: number;
  /** Named persons looked at (most recently seen first). */
  maxPersons: number;
  /** Faces per named person for genuine pairs (all their pairs) and for impostor pairs. */
  genuineFaces: number;
  impostorFaces: number;
}

export interface PairHistograms {
  genuine: number[];
  impostor: number[];
  cannotLink: number[];
  /** Named persons with at least two faces. */
  namedPersons: number;
  galleryPersons: number;
}

type Bins = Array<{ bin: number; n: number }>;

/**
 * Distance histograms of face pairs, computed in SQL (vectors never leave the database) and bounded:
 * at most `maxPersons` named persons and a few faces each.
 */
@Injectable()
export class CalibrationRepository {
  constructor(private readonly db: Database) {}

  async histograms(q: HistogramQuery): Promise<PairHistograms> {
    const p = this.db.prisma;
    const bin = (rows: Bins) => {
      const out = new Array<number>(q.bins).fill(0);
      for (const r of rows) out[Math.min(q.bins - 1, Math.max(0, r.bin))] += r.n;
      return out;
    };
    const [genuine, impostor, cannotLink, [counts]] = await Promise.all([
      p.$queryRaw<Bins>`
        WITH picked AS (
          SELECT id, person_id, embedding FROM (
            SELECT f.id, f.person_id, f.embedding, row_number() OVER (PARTITION BY f.person_id ORDER BY f.created_at DESC, f.id) AS rn
            FROM faces f JOIN (
              SELECT id FROM persons WHERE name IS NOT NULL ORDER BY last_seen_at DESC LIMIT ${q.maxPersons}::int
            ) n ON n.id = f.person_id
          ) r WHERE rn <= ${q.genuineFaces}::int
        )
        SELECT floor((a.embedding <-> b.embedding) / ${q.binWidth}::float8)::int AS bin, count(*)::int AS n
        FROM picked a JOIN picked b ON a.person_id = b.person_id AND a.id < b.id
        GROUP BY 1`,
      // different named persons; two persons with the same name may well be one person, so they are left out
      p.$queryRaw<Bins>`
        WITH picked AS (
          SELECT id, person_id, name, embedding FROM (
            SELECT f.id, f.person_id, lower(n.name) AS name, f.embedding,
                   row_number() OVER (PARTITION BY f.person_id ORDER BY f.created_at DESC, f.id) AS rn
            FROM faces f JOIN (
              SELECT id, name FROM persons WHERE name IS NOT NULL ORDER BY last_seen_at DESC LIMIT ${q.maxPersons}::int
            ) n ON n.id = f.person_id
          ) r WHERE rn <= ${q.impostorFaces}::int
        )
        SELECT floor((a.embedding <-> b.embedding) / ${q.binWidth}::float8)::int AS bin, count(*)::int AS n
        FROM picked a JOIN picked b ON a.person_id < b.person_id AND a.name <> b.name
        GROUP BY 1`,
      p.$queryRaw<Bins>`
        SELECT floor((a.embedding <-> b.embedding) / ${q.binWidth}::float8)::int AS bin, count(*)::int AS n
        FROM cannot_links c JOIN faces a ON a.id = c.face_a JOIN faces b ON b.id = c.face_b
        GROUP BY 1`,
      p.$queryRaw<Array<{ named: number; gallery: number }>>`
        SELECT (SELECT count(*) FROM persons p WHERE p.name IS NOT NULL
                  AND (SELECT count(*) FROM faces f WHERE f.person_id = p.id) >= 2)::int AS named,
               (SELECT count(*) FROM persons)::int AS gallery`,
    ]);
    return {
      genuine: bin(genuine),
      impostor: bin(impostor),
      cannotLink: bin(cannotLink),
      namedPersons: counts.named,
      galleryPersons: counts.gallery,
    };
  }
}
