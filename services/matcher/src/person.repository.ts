import { Injectable } from '@nestjs/common';
import type { Person, PersonDetail } from '@glimpse/contracts';
import { Database, type Tx } from './database/database';
import { LOCKS } from './database/locks';

export interface PersonRef {
  id: string;
  number: number;
  name: string | null;
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

@Injectable()
export class PersonRepository {
  constructor(private readonly db: Database) {}

  async create(tx: Tx, seenAt: Date): Promise<PersonRef> {
    return tx.person.create({ data: { lastSeenAt: seenAt }, select: { id: true, number: true, name: true } });
  }

  /** Moves last_seen_at forward only, so an out-of-order frame cannot make a person look older. */
  async touch(tx: Tx, id: string, seenAt: Date): Promise<void> {
    await tx.$executeRaw`UPDATE persons SET last_seen_at = GREATEST(last_seen_at, ${seenAt}) WHERE id = ${id}::uuid`;
  }

  /** Newest last_seen first. Raw SQL: Prisma would load every face id to pick each cover face. */
  async list(page: number, pageSize: number): Promise<{ items: Person[]; total: number }> {
    const offset = (page - 1) * pageSize;
    const [rows, total] = await Promise.all([
      this.db.prisma.$queryRaw<PersonRow[]>`
        SELECT p.id::text AS id, p.number, p.name, p.created_at AS "createdAt", p.last_seen_at AS "lastSeenAt",
               (SELECT count(*) FROM faces f WHERE f.person_id = p.id)::int AS "faceCount",
               (SELECT f.id::text FROM faces f WHERE f.person_id = p.id ORDER BY f.created_at, f.id LIMIT 1) AS "coverFaceId"
        FROM persons p
        ORDER BY p.last_seen_at DESC, p.number DESC
        LIMIT ${pageSize}::int OFFSET ${offset}::int`,
      this.db.prisma.person.count(),
    ]);
    return { items: rows.map(toPerson), total };
  }

  async get(id: string): Promise<PersonDetail | null> {
    const person = await this.db.prisma.person.findUnique({
      where: { id },
      include: {
        _count: { select: { faces: true } },
        faces: {
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
        },
      },
    });
    if (!person) return null;
    const cover = await this.db.prisma.face.findFirst({
      where: { personId: id },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      select: { id: true },
    });
    return {
      ...toPerson({ ...person, faceCount: person._count.faces, coverFaceId: cover?.id ?? null }),
      faces: person.faces.map((f) => ({
        id: f.id,
        box: { x: f.boxX, y: f.boxY, width: f.boxWidth, height: f.boxHeight },
        source: f.source,
        capturedAt: f.capturedAt.toISOString(),
        createdAt: f.createdAt.toISOString(),
      })),
    };
  }

  /** Deletes the person's faces (encodings and crops) and the person; null when there is no such person. */
  async delete(id: string): Promise<{ deletedFaces: number } | null> {
    return this.db.transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCKS.MATCHING}::bigint)`;
      const faces = await tx.face.deleteMany({ where: { personId: id } });
      const persons = await tx.person.deleteMany({ where: { id } });
      return persons.count === 0 ? null : { deletedFaces: faces.count };
    });
  }
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
