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

/** sealed: the table is glimpse_audit's; unsealed: the application role owns it (Postgres); trigger-only: PGlite. */
export type AuditSeal = 'sealed' | 'unsealed' | 'trigger-only';

export interface AuditFilter {
  page: number;
  pageSize: number;
  actorId?: string;
  personId?: string;
  since?: Date;
  until?: Date;
}

/**
 * The audit.audit_log table: inserts, filtered reads, and the retention job's pruning through audit.prune(),
 * the only delete its trigger allows (and, on Postgres, the only one the application role may run).
 */
@Injectable()
export class AuditRepository {
  constructor(private readonly db: Database) {}

  /**
   * Inserts the records not stored yet (by id) in one statement, so a batch costs the database one round
   * trip however large it is (the recognize path shares that connection); returns how many were new.
   */
  async append(records: readonly AuditRecord[]): Promise<number> {
    const rows = records.map((r) => ({
      id: r.id,
      at: r.at,
      actor_kind: r.actor.kind,
      actor_id: r.actor.id,
      method: r.method,
      route: r.route,
      status: r.status,
      person_ids: r.personIds,
      persons_truncated: r.personsTruncated,
      faces: r.faces,
      ip: r.ip,
    }));
    return this.db.prisma.$executeRaw`
      INSERT INTO audit.audit_log (id, at, actor_kind, actor_id, method, route, status, person_ids, persons_truncated, faces, ip)
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
        FROM audit.audit_log ${filter}
        ORDER BY at DESC, id DESC
        LIMIT ${f.pageSize}::int OFFSET ${(f.page - 1) * f.pageSize}::int`,
      this.db.prisma.$queryRaw<Array<{ total: number }>>`SELECT count(*)::int AS total FROM audit.audit_log ${filter}`,
    ]);
    return { items: rows.map(toRecord), total };
  }

  /**
   * Whether the trail is out of the application's hands: on Postgres, sealed when audit.audit_log belongs
   * to another role than the one connected (glimpse_audit, infra/postgres/init/20-audit-owner.sql);
   * PGlite has one superuser role, so there only the trigger guards it.
   */
  async sealState(): Promise<AuditSeal> {
    if (this.db.kind === 'pglite') return 'trigger-only';
    const [row] = await this.db.prisma.$queryRaw<Array<{ owner: string; me: string }>>`
      SELECT tableowner AS owner, current_user::text AS me FROM pg_tables WHERE schemaname = 'audit' AND tablename = 'audit_log'`;
    return row && row.owner !== row.me ? 'sealed' : 'unsealed';
  }

  /**
   * Sets the retention floor audit.prune() enforces (0: forever); returns the floor now in force. Sealed,
   * through audit.set_retention(), which only lengthens it; otherwise (the application owns the table)
   * directly, so that the configuration holds either way.
   */
  async setRetention(days: number, sealed: boolean): Promise<number> {
    if (!sealed) {
      await this.db.prisma.$executeRaw`UPDATE audit.retention SET days = ${days}::int`;
      return days;
    }
    const [{ floor }] = await this.db.prisma.$queryRaw<
      Array<{ floor: number }>
    >`SELECT audit.set_retention(${days}::int) AS floor`;
    return floor;
  }

  /** Deletes records older than `cutoff` (never those younger than the retention floor); returns how many. */
  async prune(cutoff: Date): Promise<number> {
    const [{ n }] = await this.db.prisma.$queryRaw<
      Array<{ n: number }>
    >`SELECT audit.prune(${cutoff}::timestamptz) AS n`;
    return n;
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
