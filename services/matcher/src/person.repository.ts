import { Injectable } from '@nestjs/common';
import type { Person, PersonDetail } from '@glimpse/contracts';
import { Database, type Tx } from './database/database';
import { sql, where, type Sql } from './database/sql';

export interface PersonRef {
  id: string;
  number: number;
  name: string | null;
}

export interface PersonState extends PersonRef {
  version: number;
}

export interface PersonFilter {
  page: number;
  pageSize: number;
  name?: string;
  named?: boolean;
  seenSince?: Date;
  seenBefore?: Date;
}

/** A person's detail lists at most this many faces (newest first); NATS replies are capped at 1 MiB. */
export const PERSON_FACES_LIMIT = 1000;

interface PersonRow {
  id: string;
  number: number;
  name: string | null;
  faceCount: number;
  createdAt: Date;
  lastSeenAt: Date;
  coverFaceId: string | null;
}

/** Every write takes a Tx: callers hold the MATCHING lock (see LOCKS) and write events in the same transaction. */
@Injectable()
export class PersonRepository {
  constructor(private readonly db: Database) {}

  async create(tx: Tx, seenAt: Date, name: string | null = null): Promise<PersonRef> {
    return tx.person.create({ data: { lastSeenAt: seenAt, name }, select: { id: true, number: true, name: true } });
  }

  /** Moves last_seen_at forward only, so an out-of-order frame cannot make a person look older. */
  async touch(tx: Tx, id: string, seenAt: Date): Promise<void> {
    await tx.$executeRaw`UPDATE persons SET last_seen_at = GREATEST(last_seen_at, ${seenAt}) WHERE id = ${id}::uuid`;
  }

  async find(tx: Tx, id: string): Promise<PersonState | null> {
    return tx.person.findUnique({ where: { id }, select: { id: true, number: true, name: true, version: true } });
  }

  /** Sets the name and returns the new version. */
  async rename(tx: Tx, id: string, name: string | null): Promise<number> {
    const p = await tx.person.update({
      where: { id },
      data: { name, version: { increment: 1 } },
      select: { version: true },
    });
    return p.version;
  }

  /** Records a change that has no column of its own (faces added or moved); returns the new version. */
  async bump(tx: Tx, id: string): Promise<number> {
    const p = await tx.person.update({ where: { id }, data: { version: { increment: 1 } }, select: { version: true } });
    return p.version;
  }

  /**
   * Moves every face and sighting of `source` to `target`, which keeps its number, takes the source's
   * name if it has none, the earlier creation and the later last-seen time; then deletes the source and
   * remembers its id (and its own aliases) as aliases of the target.
   */
  async merge(
    tx: Tx,
    target: PersonRef,
    source: PersonRef,
  ): Promise<{ faces: number; sightings: number; version: number; name: string | null }> {
    const faces =
      await tx.$executeRaw`UPDATE faces SET person_id = ${target.id}::uuid WHERE person_id = ${source.id}::uuid`;
    const sightings =
      await tx.$executeRaw`UPDATE sightings SET person_id = ${target.id}::uuid WHERE person_id = ${source.id}::uuid`;
    await tx.$executeRaw`UPDATE person_aliases SET person_id = ${target.id}::uuid WHERE person_id = ${source.id}::uuid`;
    const [merged] = await tx.$queryRaw<Array<{ version: number; name: string | null }>>`
      UPDATE persons t SET
        name = COALESCE(t.name, s.name),
        created_at = LEAST(t.created_at, s.created_at),
        last_seen_at = GREATEST(t.last_seen_at, s.last_seen_at),
        version = t.version + 1
      FROM persons s
      WHERE t.id = ${target.id}::uuid AND s.id = ${source.id}::uuid
      RETURNING t.version, t.name`;
    await tx.$executeRaw`DELETE FROM persons WHERE id = ${source.id}::uuid`;
    await tx.$executeRaw`INSERT INTO person_aliases (alias_id, person_id) VALUES (${source.id}::uuid, ${target.id}::uuid)`;
    return { faces, sightings, ...merged };
  }

  /** Ids of persons merged into this one, whose old events are published under those ids. */
  async aliases(tx: Tx, id: string): Promise<string[]> {
    const rows = await tx.personAlias.findMany({ where: { personId: id }, select: { aliasId: true } });
    return rows.map((r) => r.aliasId);
  }

  /** Deletes the person with its faces (encodings and crops); sightings and aliases cascade. Null: no such person. */
  async delete(tx: Tx, id: string): Promise<{ deletedFaces: number } | null> {
    const faces = await tx.face.deleteMany({ where: { personId: id } });
    const persons = await tx.person.deleteMany({ where: { id } });
    return persons.count === 0 ? null : { deletedFaces: faces.count };
  }

  /** Unnamed persons last seen before `cutoff`, oldest first. */
  async unnamedNotSeenSince(cutoff: Date, limit: number): Promise<string[]> {
    const rows = await this.db.prisma.person.findMany({
      where: { name: null, lastSeenAt: { lt: cutoff } },
      orderBy: { lastSeenAt: 'asc' },
      take: limit,
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  /** Newest last_seen first. Raw SQL: Prisma would load every face id to pick each cover face. */
  async list(f: PersonFilter): Promise<{ items: Person[]; total: number }> {
    const conds: Sql[] = [];
    if (f.name !== undefined) conds.push(sql`p.name ILIKE ${`%${escapeLike(f.name)}%`}`);
    if (f.named !== undefined) conds.push(f.named ? sql`p.name IS NOT NULL` : sql`p.name IS NULL`);
    if (f.seenSince) conds.push(sql`p.last_seen_at >= ${f.seenSince}`);
    if (f.seenBefore) conds.push(sql`p.last_seen_at < ${f.seenBefore}`);
    const filter = where(conds);
    const offset = (f.page - 1) * f.pageSize;
    const [rows, [{ total }]] = await Promise.all([
      this.db.prisma.$queryRaw<PersonRow[]>`
        ${summarySelect} ${filter}
        ORDER BY p.last_seen_at DESC, p.number DESC
        LIMIT ${f.pageSize}::int OFFSET ${offset}::int`,
      this.db.prisma.$queryRaw<Array<{ total: number }>>`SELECT count(*)::int AS total FROM persons p ${filter}`,
    ]);
    return { items: rows.map(toPerson), total };
  }

  /** One person as lists show it, read in `tx` when given (to see the caller's uncommitted writes). */
  async summary(id: string, tx?: Tx): Promise<Person | null> {
    const rows = await (tx ?? this.db.prisma).$queryRaw<PersonRow[]>`${summarySelect} WHERE p.id = ${id}::uuid`;
    return rows[0] ? toPerson(rows[0]) : null;
  }

  async get(id: string): Promise<PersonDetail | null> {
    const person = await this.summary(id);
    if (!person) return null;
    const faces = await this.db.prisma.face.findMany({
      where: { personId: id },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: PERSON_FACES_LIMIT,
      select: {
        id: true,
        boxX: true,
        boxY: true,
        boxWidth: true,
        boxHeight: true,
        source: true,
        capturedAt: true,
        createdAt: true,
      },
    });
    return {
      ...person,
      faces: faces.map((f) => ({
        id: f.id,
        box: { x: f.boxX, y: f.boxY, width: f.boxWidth, height: f.boxHeight },
        source: f.source,
        capturedAt: f.capturedAt.toISOString(),
        createdAt: f.createdAt.toISOString(),
      })),
    };
  }
}

const summarySelect = sql`
  SELECT p.id::text AS id, p.number, p.name, p.created_at AS "createdAt", p.last_seen_at AS "lastSeenAt",
         (SELECT count(*) FROM faces f WHERE f.person_id = p.id)::int AS "faceCount",
         (SELECT f.id::text FROM faces f WHERE f.person_id = p.id ORDER BY f.created_at, f.id LIMIT 1) AS "coverFaceId"
  FROM persons p`;

/** A name filter is a substring, not a pattern. */
function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function toPerson(r: PersonRow): Person {
  return {
    id: r.id,
    number: r.number,
    name: r.name,
    faceCount: r.faceCount,
    createdAt: r.createdAt.toISOString(),
    lastSeenAt: r.lastSeenAt.toISOString(),
    coverFaceId: r.coverFaceId,
  };
}
