import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Box, FacesList } from '@glimpse/contracts';
import { CropCipher } from './crops/crop-cipher';
import { Database, type Tx } from './database/database';
import { LOCKS } from './database/locks';
import { sql, where, type Sql } from './database/sql';

export interface NearestFace {
  faceId: string;
  personId: string;
  personNumber: number;
  personName: string | null;
  distance: number;
}

export interface PersonDistance {
  personId: string;
  /** To the centroid of the person's faces. */
  distance: number;
  /** How many faces made the centroid. */
  faces: number;
}

export interface FaceRef {
  id: string;
  personId: string;
  source: string;
  capturedAt: Date;
}

export interface FaceFilter {
  page: number;
  pageSize: number;
  personId?: string;
  source?: string;
}

type ListedFace = FacesList.Reply['items'][number];

interface StoredCropRow {
  id: string;
  crop: Uint8Array;
  keyId: string | null;
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
  constructor(
    private readonly db: Database,
    private readonly cipher: CropCipher,
  ) {}

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

  /**
   * For each of `personIds`, the distance from `encoding` to the person's centroid: the mean of their
   * `perPerson` most recent stored faces (pgvector's avg). What the person rule scores a person by.
   * Reads through the (person_id, created_at) index, not HNSW.
   */
  async personDistances(
    tx: Tx,
    encoding: readonly number[],
    personIds: readonly string[],
    perPerson: number,
  ): Promise<PersonDistance[]> {
    if (personIds.length === 0) return [];
    const v = toVectorLiteral(encoding);
    return tx.$queryRaw<PersonDistance[]>`
      SELECT c.id::text AS "personId", (avg(f.embedding) <-> ${v}::vector)::float8 AS distance, count(*)::int AS faces
      FROM unnest(${[...personIds]}::uuid[]) AS c(id)
      CROSS JOIN LATERAL (
        SELECT embedding FROM faces WHERE person_id = c.id ORDER BY created_at DESC LIMIT ${perPerson}::int
      ) f
      GROUP BY c.id`;
  }

  /** How many persons the gallery holds: the person rule grows stricter as it grows. */
  async countPersons(tx: Tx): Promise<number> {
    const [{ n }] = await tx.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM persons`;
    return n;
  }

  /** Stores one face with its encoding and JPEG crop (sealed with the current crop key); returns its id. */
  async insert(tx: Tx, face: NewFace): Promise<string> {
    const id = randomUUID();
    const { x, y, width, height } = face.box;
    const { crop, keyId } = this.cipher.seal(id, face.crop);
    await tx.$executeRaw`
      INSERT INTO faces (id, person_id, embedding, box_x, box_y, box_width, box_height, source, frame_seq, captured_at, crop, crop_key_id)
      VALUES (${id}::uuid, ${face.personId}::uuid, ${toVectorLiteral(face.encoding)}::vector, ${x}, ${y}, ${width}, ${height},
              ${face.source}, ${face.frameSeq}, ${face.capturedAt}, ${crop}, ${keyId})`;
    return id;
  }

  async find(tx: Tx, id: string): Promise<FaceRef | null> {
    return tx.face.findUnique({ where: { id }, select: { id: true, personId: true, source: true, capturedAt: true } });
  }

  async moveTo(tx: Tx, id: string, personId: string): Promise<void> {
    await tx.face.update({ where: { id }, data: { personId } });
  }

  async countOf(tx: Tx, personId: string): Promise<number> {
    return tx.face.count({ where: { personId } });
  }

  /** Newest first. */
  async list(f: FaceFilter): Promise<{ items: ListedFace[]; total: number }> {
    const conds: Sql[] = [];
    if (f.personId) conds.push(sql`person_id = ${f.personId}::uuid`);
    if (f.source) conds.push(sql`source = ${f.source}`);
    const filter = where(conds);
    const [rows, [{ total }]] = await Promise.all([
      this.db.prisma.$queryRaw<
        Array<{
          id: string;
          personId: string;
          x: number;
          y: number;
          w: number;
          h: number;
          source: string;
          capturedAt: Date;
          createdAt: Date;
        }>
      >`
        SELECT id::text, person_id::text AS "personId", box_x AS x, box_y AS y, box_width AS w, box_height AS h, source,
               captured_at AS "capturedAt", created_at AS "createdAt"
        FROM faces ${filter}
        ORDER BY created_at DESC, id DESC
        LIMIT ${f.pageSize}::int OFFSET ${(f.page - 1) * f.pageSize}::int`,
      this.db.prisma.$queryRaw<Array<{ total: number }>>`SELECT count(*)::int AS total FROM faces ${filter}`,
    ]);
    const items = rows.map((r) => ({
      id: r.id,
      personId: r.personId,
      box: { x: r.x, y: r.y, width: r.w, height: r.h },
      source: r.source,
      capturedAt: r.capturedAt.toISOString(),
      createdAt: r.createdAt.toISOString(),
    }));
    return { items, total };
  }

  /** The JPEG crop of one face (opened), or null when no such face exists. */
  async crop(id: string): Promise<Uint8Array | null> {
    const [row] = await this.db.prisma.$queryRaw<StoredCropRow[]>`
      SELECT id::text, crop, crop_key_id AS "keyId" FROM faces WHERE id = ${id}::uuid`;
    return row ? this.cipher.open(row.id, { crop: Buffer.from(row.crop), keyId: row.keyId }) : null;
  }

  /**
   * Re-seals up to `limit` crops that are plaintext or under an older key with the current key; returns
   * how many. Each row is re-read under its lock, so a concurrent rotation cannot seal one twice.
   */
  async resealStale(limit: number): Promise<number> {
    const current = this.cipher.currentKeyId;
    if (current === null) return 0;
    return this.db.transaction(async (tx) => {
      const rows = await tx.$queryRaw<StoredCropRow[]>`
        SELECT id::text, crop, crop_key_id AS "keyId" FROM faces
        WHERE crop_key_id IS DISTINCT FROM ${current} ORDER BY id LIMIT ${limit}::int FOR UPDATE SKIP LOCKED`;
      for (const row of rows) {
        const sealed = this.cipher.seal(
          row.id,
          this.cipher.open(row.id, { crop: Buffer.from(row.crop), keyId: row.keyId }),
        );
        await tx.$executeRaw`UPDATE faces SET crop = ${sealed.crop}, crop_key_id = ${sealed.keyId} WHERE id = ${row.id}::uuid`;
      }
      return rows.length;
    });
  }

  /** How many crops each key id sealed ('plaintext' for none). */
  async cropKeyCounts(): Promise<Record<string, number>> {
    const rows = await this.db.prisma.$queryRaw<Array<{ keyId: string | null; n: number }>>`
      SELECT crop_key_id AS "keyId", count(*)::int AS n FROM faces GROUP BY crop_key_id`;
    return Object.fromEntries(rows.map((r) => [r.keyId ?? 'plaintext', r.n]));
  }
}

export function toVectorLiteral(encoding: readonly number[]): string {
  for (const n of encoding) if (!Number.isFinite(n)) throw new RangeError(`encoding holds ${n}`);
  return `[${encoding.join(',')}]`;
}
