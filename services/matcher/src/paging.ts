/** An optional ISO time from a list request, as the repositories take it. */
export const optionalDate = (iso: string | undefined): Date | undefined => (iso ? new Date(iso) : undefined);

/** A list reply: the page of rows and the total the repository found, with the page the request asked for. */
export function pageOf<T>(
  req: { page: number; pageSize: number },
  found: { items: T[]; total: number },
): { items: T[]; total: number; page: number; pageSize: number } {
  return { items: found.items, total: found.total, page: req.page, pageSize: req.pageSize };
}
