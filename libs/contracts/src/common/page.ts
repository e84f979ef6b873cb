import { z } from 'zod';

/** Largest page size of every list. */
export const MAX_PAGE_SIZE = 200;
/** Largest page number: (page − 1) · pageSize stays far below a database's 32-bit OFFSET (2^31 − 1). */
export const MAX_PAGE = 1_000_000;

/** Every list takes the same paging fields; pages start at 1. */
export const pageFields = {
  page: z.number().int().min(1).max(MAX_PAGE).default(1),
  pageSize: z.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
};

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    items: z.array(item),
    total: z.number().int().nonnegative(),
    page: z.number().int().min(1),
    pageSize: z.number().int().min(1),
  });
