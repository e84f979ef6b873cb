import { Injectable } from '@nestjs/common';
import type { AuditList, AuditRecord } from '@glimpse/contracts';
import { Database } from '../database/database';
import { sql, where, type Sql } from '../database/sql';

interface AuditRow {
  id: string;
  at: Date;
  actorKind: AuditRecord['actor']['kind'];
  actorId: string | null;
  method: AuditRecord['method'];
  route: string;
  status: number;
  personIds: string[];
  personsTruncated: boolean;
  faces: number;
  ip: string | null;
}

export interface AuditFilter {
  page: number;
  pageSize: number;
  actorId?: string;
  personId?: string;
  since?: Date;
  until?: Date;
}

/** The audit_log table: inserts, filtered reads, and the retention job's pruning (the only deletes its trigger allows). */
@Injectable()
export class AuditRepository {
  constructor(private readonly db: Database) {}

  /**
   * Inserts the records not stored yet (by id) in one statement, so a batch costs the database one round
   * trip however large it is (the recognize path shares that connection); returns how many were new.
   */
  async append(records: readonly AuditRecord[]): Promise<number> {
    const rows = records.map((r) => ({
      id: r.id, at: r.at, actor_kind: r.actor.kind, actor_id: r.actor.id, method: r.method, route: r.route, status: r.status,
      person_ids: r.personIds, persons_truncated: r.personsTruncated, faces: r.faces, ip: r.ip,
    }));
    return this.db.prisma.$executeRaw`
      INSERT INTO audit_log (id, at, actor_kind, actor_id, method, route, status, person_ids, persons_truncated, faces, ip)
      SELECT id, at, actor_kind, actor_id, method, route, status, person_ids, persons_truncated, faces, ip
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(
        id uuid, at timestamptz, actor_kind text, actor_id text, method text, route text, status int,
        person_ids uuid[], persons_truncated boolean, faces int, ip text)
      ON CONFLICT (id) DO NOTHING`;
  }

  /** Newest first. */
  async list(f: AuditFilter): Promise<{ items: AuditRecord[]; total: number }> {
    const conds: Sql[] = [];
    if (f.actorId) conds.push(sql`actor_id = ${f.actorId}`);
    if (f.personId) conds.push(sql`person_ids @> ARRAY[${f.personId}::uuid]`);
    if (f.since) conds.push(sql`at >= ${f.since}`);
    if (f.until) conds.push(sql`at <= ${f.until}`);
    const filter = where(conds);
    const [rows, [{ total }]] = await Promise.all([
      this.db.prisma.$queryRaw<AuditRow[]>`
        SELECT id::text, at, actor_kind AS "actorKind", actor_id AS "actorId", method, route, status,
               person_ids::text[] AS "personIds", persons_truncated AS "personsTruncated", faces, ip
        FROM audit_log ${filter}
        ORDER BY at DESC, id DESC
        LIMIT ${f.pageSize}::int OFFSET ${(f.page - 1) * f.pageSize}::int`,
      this.db.prisma.$queryRaw<Array<{ total: number }>>`SELECT count(*)::int AS total FROM audit_log ${filter}`,
    ]);
    return { items: rows.map(toRecord), total };
  }

  /** Deletes records older than `cutoff`; the trigger lets only this through (and never the last day). */
  async prune(cutoff: Date): Promise<number> {
    return this.db.transaction(async (tx) => {
      await tx.$executeRaw`SELECT set_config('glimpse.audit_prune', 'on', true)`;
      return tx.$executeRaw`DELETE FROM audit_log WHERE at < ${cutoff}`;
    });
  }
}

function toRecord(r: AuditRow): AuditList.Reply['items'][number] {
  return {
    id: r.id,
    at: r.at.toISOString(),
    actor: { kind: r.actorKind, id: r.actorId },
    method: r.method,
    route: r.route,
    status: r.status,
    personIds: r.personIds,
    personsTruncated: r.personsTruncated,
    faces: r.faces,
    ip: r.ip,
  };
}
