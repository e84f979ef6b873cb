import type { Client } from 'pg';

export interface PgServer {
  port: number;
  /** The postmaster's pid (its backends are its children). */
  pid: number;
  /** The cluster's data directory (table files under base/, the write-ahead log under pg_wal/). */
  dataDir: string;
  /** The superuser's URL for database `db`. */
  adminUrl(db: string): string;
  /** The application role `glimpse`'s URL for database `db`. */
  appUrl(db: string): string;
  /** Creates database `db` owned by `glimpse`, with pgvector in it; returns appUrl(db). */
  createDatabase(db: string): Promise<string>;
  /** The last 4000 characters the server wrote to stderr, for an error message. */
  log(): string;
  stop(): Promise<void>;
}

export function postgresUnavailable(): string | null;
export function startPgServer(options: { port: number; settings?: string[] }): Promise<PgServer>;
export function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T>;
