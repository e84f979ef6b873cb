import type { Dispatch, SetStateAction } from 'react';
import { ChevronLeft, ChevronRight } from './Icons';

/** Back and forward round "Page n of m" (nothing when there is one page); `busy` holds both while a page loads. */
export function Pager({
  page,
  pages,
  busy,
  setPage,
  back,
  forward,
}: {
  page: number;
  pages: number;
  busy: boolean;
  setPage: Dispatch<SetStateAction<number>>;
  back: string;
  forward: string;
}) {
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button
        type="button"
        className="btn btn-ghost btn-small"
        onClick={() => setPage((p) => Math.max(1, p - 1))}
        disabled={page <= 1 || busy}
      >
        <ChevronLeft /> {back}
      </button>
      <span className="muted small">
        Page {page} of {pages}
      </span>
      <button
        type="button"
        className="btn btn-ghost btn-small"
        onClick={() => setPage((p) => Math.min(pages, p + 1))}
        disabled={page >= pages || busy}
      >
        {forward} <ChevronRight />
      </button>
    </nav>
  );
}
