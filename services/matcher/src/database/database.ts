import type { Prisma, PrismaClient } from '../generated/prisma/client';

export type DatabaseKind = 'pglite' | 'postgres';

/** A Prisma interactive transaction; repositories take one so the service can group their work. */
export type Tx = Prisma.TransactionClient;

/** One session inside one transaction that accepts multi-statement scripts (migrations). */
export interface ScriptSession {
  exec(sql: string): Promise<void>;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
}

// Queued PGlite transactions wait for the single connection, so waiting is allowed to take a while.
const TX_OPTIONS = { maxWait: 15_000, timeout: 30_000 } as const;

/** The face database: embedded PGlite or a real Postgres, both with pgvector and both behind Prisma. */
export abstract class Database {
  abstract readonly kind: DatabaseKind;
  /** For health replies and logs: `pglite:<dir>` or `postgres:<host>:<port>/<db>` (never the URL, which holds a password). */
  abstract readonly detail: string;
  abstract readonly prisma: PrismaClient;

  abstract scriptTransaction<T>(fn: (session: ScriptSession) => Promise<T>): Promise<T>;
  /** One statement outside any transaction (VACUUM, CHECKPOINT cannot run inside one). */
  abstract maintenance(sql: string): Promise<void>;
  abstract close(): Promise<void>;

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn, TX_OPTIONS);
  }

  /** `SELECT 1` within `timeoutMs`; rejects on failure or timeout. */
  async ping(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.prisma.$executeRaw`SELECT 1`, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
