import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client';
import { lockDataDir } from './data-dir-lock';
import { Database, type ScriptSession } from './database';

/** PostgreSQL compiled to wasm, in this process, persisted under `dataDir`. */
export class PgliteDatabase extends Database {
  readonly kind = 'pglite';
  private constructor(
    private readonly pg: PGlite,
    readonly prisma: PrismaClient,
    readonly detail: string,
    private readonly unlock: () => void,
  ) {
    super();
  }

  static async open(dataDir: string): Promise<PgliteDatabase> {
    const dir = resolve(dataDir);
    mkdirSync(dir, { recursive: true });
    const unlock = lockDataDir(dir);
    try {
      // Retired write-ahead log segments are deleted rather than recycled, so erased face data does not
      // linger in renamed old segments (see ErasureService).
      const startParams = [...PGlite.defaultStartParams, '-c', 'wal_recycle=off'];
      const pg = await PGlite.create({ dataDir: dir, extensions: { vector }, startParams });
      const prisma = new PrismaClient({ adapter: new PrismaPGlite(pg) });
      return new PgliteDatabase(pg, prisma, `pglite:${dir}`, unlock);
    } catch (err) {
      unlock();
      throw err;
    }
  }

  scriptTransaction<T>(fn: (session: ScriptSession) => Promise<T>): Promise<T> {
    return this.pg.transaction((tx) =>
      fn({
        exec: async (sql) => void (await tx.exec(sql)),
        query: async <R>(sql: string, params?: unknown[]) => (await tx.query<R>(sql, params)).rows,
      }),
    );
  }

  async maintenance(sql: string): Promise<void> {
    await this.pg.exec(sql);
  }

  async close(): Promise<void> {
    try {
      await this.prisma.$disconnect();
      // Closing flushes and releases the data directory; skipping it risks a recovery on the next start.
      if (!this.pg.closed) await this.pg.close();
    } finally {
      this.unlock();
    }
  }
}
