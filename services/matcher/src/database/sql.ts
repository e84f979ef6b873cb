import { Prisma } from '../generated/prisma/client';

/** Tagged SQL fragments for queries assembled from optional filters (values stay bound parameters). */
export const sql = Prisma.sql;
export const join = Prisma.join;
export const empty = Prisma.empty;
export type Sql = Prisma.Sql;

/** `WHERE a AND b …`, or nothing when there are no conditions. */
export const where = (conds: Sql[]): Sql => (conds.length ? sql`WHERE ${join(conds, ' AND ')}` : empty);
