import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { UPLOAD_SOURCE, type PersonTimeline, type Sighting } from '@glimpse/contracts';
import { Database, type Tx } from './database/database';
import { sql, where, type Sql } from './database/sql';
import type { PersonInfo, SightingInfo } from './events/event-factory';

export interface SightingRow extends SightingInfo {
  bestScore: number;
  announcedAt: Date;
}

export interface EndedSighting extends SightingRow {
  person: PersonInfo;
}

export interface SightingFilter {
  page: number;
  pageSize: number;
  streamId?: string;
  personId?: string;
  since?: Date;
  until?: Date;
  state?: 'open' | 'ended';
}

export interface SightingChange {
  seenAt: Date;
  /** 0 when another face of the same frame already counted it. */
  addFrames: number;
  best?: { faceId: string; score: number };
  announcedAt?: Date;
}

const COLUMNS = sql`
  s.id::text AS id, s.person_id::text AS "personId", s.source, s.started_at AS "startedAt",
  s.last_seen_at AS "lastSeenAt", s.ended_at AS "endedAt", s.frames, s.best_face_id::text AS "bestFaceId",
  s.best_score AS "bestScore", s.announced_at AS "announcedAt"`;

/** Sightings: consecutive detections of one person in one stream. Writes take the caller's Tx. */
@Injectable()
export class SightingRepository {
  constructor(private readonly db: Database) {}

  /** The person's open sighting in this stream, if it saw them at or after `notBefore`. */
  async findOpen(tx: Tx, personId: string, source: string, notBefore: Date): Promise<SightingRow | null> {
    const rows = await tx.$queryRaw<SightingRow[]>`
      SELECT ${COLUMNS} FROM sightings s
      WHERE s.person_id = ${personId}::uuid AND s.source = ${source} AND s.ended_at IS NULL AND s.last_seen_at >= ${notBefore}
      ORDER BY s.last_seen_at DESC LIMIT 1`;
    return rows[0] ?? null;
  }

  async create(
    tx: Tx,
    s: {
      personId: string;
      source: string;
      seenAt: Date;
      bestFaceId: string | null;
      bestScore: number;
      announcedAt: Date;
    },
  ): Promise<SightingRow> {
    const [row] = await tx.$queryRaw<SightingRow[]>`
      INSERT INTO sightings AS s (id, person_id, source, started_at, last_seen_at, frames, best_face_id, best_score, announced_at)
      VALUES (${randomUUID()}::uuid, ${s.personId}::uuid, ${s.source}, ${s.seenAt}, ${s.seenAt}, 1, ${s.bestFaceId}::uuid,
              ${s.bestScore}, ${s.announcedAt})
      RETURNING ${COLUMNS}`;
    return row;
  }

  async update(tx: Tx, id: string, c: SightingChange): Promise<SightingRow> {
    const [row] = await tx.$queryRaw<SightingRow[]>`
      UPDATE sightings AS s SET
        last_seen_at = GREATEST(s.last_seen_at, ${c.seenAt}),
        frames = s.frames + ${c.addFrames}::int,
        best_face_id = COALESCE(${c.best?.faceId ?? null}::uuid, s.best_face_id),
        best_score = COALESCE(${c.best?.score ?? null}::float8, s.best_score),
        announced_at = COALESCE(${c.announcedAt ?? null}::timestamptz, s.announced_at)
      WHERE s.id = ${id}::uuid
      RETURNING ${COLUMNS}`;
    return row;
  }

  /** Whether any open sighting went quiet before `cutoff` (cheap, outside the write lock). */
  async anyQuiet(cutoff: Date): Promise<boolean> {
    const rows = await this.db.prisma.$queryRaw<unknown[]>`
      SELECT 1 FROM sightings WHERE ended_at IS NULL AND last_seen_at < ${cutoff} LIMIT 1`;
    return rows.length > 0;
  }

  /** Ends open sightings last seen before `cutoff`; a sighting ends when its person was last seen. */
  async endQuiet(tx: Tx, cutoff: Date, limit = 500): Promise<EndedSighting[]> {
    const rows = await tx.$queryRaw<Array<SightingRow & { number: number; name: string | null }>>`
      WITH ended AS (
        UPDATE sightings SET ended_at = last_seen_at
        WHERE id IN (SELECT id FROM sightings WHERE ended_at IS NULL AND last_seen_at < ${cutoff} ORDER BY last_seen_at LIMIT ${limit}::int)
        RETURNING *
      )
      SELECT ${COLUMNS}, p.number, p.name FROM ended s JOIN persons p ON p.id = s.person_id
      ORDER BY s.last_seen_at, s.id`;
    return rows.map(({ number, name, ...s }) => ({ ...s, person: { id: s.personId, number, name } }));
  }

  /** A face moved to another person is no longer the best crop of the old person's sightings. */
  async forgetBestFace(tx: Tx, faceId: string): Promise<void> {
    await tx.$executeRaw`UPDATE sightings SET best_face_id = NULL, best_score = 0 WHERE best_face_id = ${faceId}::uuid`;
  }

  async get(id: string): Promise<Sighting | null> {
    const rows = await this.db.prisma.$queryRaw<ListedRow[]>`
      SELECT ${COLUMNS}, p.number, p.name FROM sightings s JOIN persons p ON p.id = s.person_id WHERE s.id = ${id}::uuid`;
    return rows[0] ? toSighting(rows[0]) : null;
  }

  /** Most recently started first; since/until select sightings overlapping that interval. */
  async list(f: SightingFilter): Promise<{ items: Sighting[]; total: number }> {
    const conds: Sql[] = [];
    if (f.streamId) conds.push(sql`s.source = ${f.streamId}`);
    if (f.personId) conds.push(sql`s.person_id = ${f.personId}::uuid`);
    if (f.since) conds.push(sql`s.last_seen_at >= ${f.since}`);
    if (f.until) conds.push(sql`s.started_at <= ${f.until}`);
    if (f.state) conds.push(f.state === 'open' ? sql`s.ended_at IS NULL` : sql`s.ended_at IS NOT NULL`);
    const filter = where(conds);
    const [rows, [{ total }]] = await Promise.all([
      this.db.prisma.$queryRaw<ListedRow[]>`
        SELECT ${COLUMNS}, p.number, p.name FROM sightings s JOIN persons p ON p.id = s.person_id ${filter}
        ORDER BY s.started_at DESC, s.id DESC
        LIMIT ${f.pageSize}::int OFFSET ${(f.page - 1) * f.pageSize}::int`,
      this.db.prisma.$queryRaw<Array<{ total: number }>>`SELECT count(*)::int AS total FROM sightings s ${filter}`,
    ]);
    return { items: rows.map(toSighting), total };
  }

  /**
   * One person's stream sightings and uploaded faces, newest first; null when there is no such person.
   * from/to select entries overlapping that interval, `source` one camera/stream id or `upload`.
   */
  async timeline(f: TimelineFilter): Promise<{ items: PersonTimeline.Entry[]; total: number } | null> {
    const [person] = await this.db.prisma.$queryRaw<unknown[]>`SELECT 1 FROM persons WHERE id = ${f.personId}::uuid`;
    if (!person) return null;
    const streams: Sql[] = [sql`s.person_id = ${f.personId}::uuid`];
    const uploads: Sql[] = [sql`f.person_id = ${f.personId}::uuid`, sql`f.source = ${UPLOAD_SOURCE}`];
    if (f.source) (streams.push(sql`s.source = ${f.source}`), uploads.push(sql`f.source = ${f.source}`));
    if (f.from) (streams.push(sql`s.last_seen_at >= ${f.from}`), uploads.push(sql`f.captured_at >= ${f.from}`));
    if (f.to) (streams.push(sql`s.started_at <= ${f.to}`), uploads.push(sql`f.captured_at <= ${f.to}`));
    const entries = sql`
      SELECT 'stream' AS kind, s.id, s.source, s.started_at, s.last_seen_at, s.ended_at, s.frames, s.best_face_id
        FROM sightings s ${where(streams)}
      UNION ALL
      SELECT 'upload', f.id, f.source, f.captured_at, f.captured_at, f.captured_at, 1, f.id
        FROM faces f ${where(uploads)}`;
    const [rows, [{ total }]] = await Promise.all([
      this.db.prisma.$queryRaw<TimelineRow[]>`
        SELECT kind, id::text AS id, source, started_at AS "startedAt", last_seen_at AS "lastSeenAt", ended_at AS "endedAt",
               frames, best_face_id::text AS "bestFaceId"
        FROM (${entries}) e ORDER BY started_at DESC, id DESC
        LIMIT ${f.pageSize}::int OFFSET ${(f.page - 1) * f.pageSize}::int`,
      this.db.prisma.$queryRaw<Array<{ total: number }>>`SELECT count(*)::int AS total FROM (${entries}) e`,
    ]);
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    const items = rows.map((r) => ({
      ...r,
      startedAt: r.startedAt.toISOString(),
      lastSeenAt: r.lastSeenAt.toISOString(),
      endedAt: iso(r.endedAt),
    }));
    return { items, total };
  }
}

export interface TimelineFilter {
  personId: string;
  page: number;
  pageSize: number;
  source?: string;
  from?: Date;
  to?: Date;
}

interface TimelineRow extends Omit<PersonTimeline.Entry, 'startedAt' | 'lastSeenAt' | 'endedAt'> {
  startedAt: Date;
  lastSeenAt: Date;
  endedAt: Date | null;
}

type ListedRow = SightingRow & { number: number; name: string | null };

function toSighting(r: ListedRow): Sighting {
  return {
    id: r.id,
    personId: r.personId,
    personNumber: r.number,
    personName: r.name,
    streamId: r.source,
    startedAt: r.startedAt.toISOString(),
    lastSeenAt: r.lastSeenAt.toISOString(),
    endedAt: r.endedAt?.toISOString() ?? null,
    frames: r.frames,
    bestFaceId: r.bestFaceId,
  };
}
