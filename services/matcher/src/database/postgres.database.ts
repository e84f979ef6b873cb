import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from '../generated/prisma/client';
import { Database, type ScriptSession } from './database';

/** A real PostgreSQL server with pgvector, through one `pg` pool shared by Prisma and the migrator. */
export class PostgresDatabase extends Database {
  readonly kind = 'postgres';
  private constructor(
    private readonly pool: Pool,
    readonly prisma: PrismaClient,
    readonly detail: string,
  ) {
    super();
  }

  static async open(url: string, onPoolError: (err: Error) => void): Promise<PostgresDatabase> {
    const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', onPoolError);
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    return new PostgresDatabase(pool, prisma, describeUrl(url));
  }

  async scriptTransaction<T>(fn: (session: ScriptSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      // Queries without parameters use the simple protocol, which runs multi-statement scripts.
      const result = await fn({
        exec: async (sql) => void (await client.query(sql)),
        query: async <R>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[],
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: unknown) => (broken = e));
      throw err;
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async maintenance(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect();
    await this.pool.end();
  }
}

/** `postgres:host:port/db` for health replies and logs: the URL without user, password or options. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres:${u.hostname}:${u.port || '5432'}/${decodeURIComponent(u.pathname.slice(1)) || '(default)'}`;
  } catch {
    return 'postgres'; // unparseable: say nothing rather than echo a secret
  }
}
