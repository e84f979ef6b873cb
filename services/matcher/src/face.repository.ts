import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Box } from '@glimpse/contracts';
import { Database, type Tx } from './database/database';
import { LOCKS } from './database/locks';

export interface NearestFace {
  faceId: string;
  personId: string;
  personNumber: number;
  personName: string | null;
  distance: number;
}

export interface NewFace {
  personId: string;
  encoding: readonly number[];
  box: Box;
  source: string;
  frameSeq: number;
  capturedAt: Date;
  crop: Uint8Array;
}

/**
 * Every SQL statement that touches embeddings. Vectors travel as `'[x,y,…]'::vector` text literals,
 * never through the ORM, and are never read back.
 */
@Injectable()
export class FaceRepository {
  constructor(private readonly db: Database) {}

  /** Held until the transaction ends; see LOCKS.MATCHING. */
  async lockForMatching(tx: Tx): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCKS.MATCHING}::bigint)`;
  }

  /** The `k` stored faces closest to `encoding` (L2), closest first, through the HNSW index. */
  async nearest(tx: Tx, encoding: readonly number[], k: number, efSearch: number): Promise<NearestFace[]> {
    const v = toVectorLiteral(encoding);
    // SET LOCAL cannot take a parameter; set_config(..., true) is the same thing and can.
    await tx.$executeRaw`SELECT set_config('hnsw.ef_search', ${String(efSearch)}, true)`;
    // The CTE keeps the ORDER BY … LIMIT on faces alone, which is the shape the HNSW index serves.
    return tx.$queryRaw<NearestFace[]>`
      WITH nearest AS (
        SELECT id, person_id, embedding <-> ${v}::vector AS distance
        FROM faces
        ORDER BY embedding <-> ${v}::vector
        LIMIT ${k}::int
      )
      SELECT n.id::text AS "faceId", n.person_id::text AS "personId", p.number AS "personNumber",
             p.name AS "personName", n.distance::float8 AS distance
      FROM nearest n JOIN persons p ON p.id = n.person_id
      ORDER BY n.distance`;
  }

  /** Stores one face with its encoding and JPEG crop; returns its id. */
  async insert(tx: Tx, face: NewFace): Promise<string> {
    const id = randomUUID();
    const { x, y, width, height } = face.box;
    await tx.$executeRaw`
      INSERT INTO faces (id, person_id, embedding, box_x, box_y, box_width, box_height, source, frame_seq, captured_at, crop)
      VALUES (${id}::uuid, ${face.personId}::uuid, ${toVectorLiteral(face.encoding)}::vector, ${x}, ${y}, ${width}, ${height},
              ${face.source}, ${face.frameSeq}, ${face.capturedAt}, ${face.crop})`;
    return id;
  }

  /** The JPEG crop of one face, or null when no such face exists. */
  async crop(id: string): Promise<Uint8Array | null> {
    const row = await this.db.prisma.face.findUnique({ where: { id }, select: { crop: true } });
    return row?.crop ?? null;
  }
}

export function toVectorLiteral(encoding: readonly number[]): string {
  for (const n of encoding) if (!Number.isFinite(n)) throw new RangeError(`encoding holds ${n}`);
  return `[${encoding.join(',')}]`;
}
