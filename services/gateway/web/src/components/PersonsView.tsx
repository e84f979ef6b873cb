import { useCallback, useEffect, useRef, useState } from 'react';
import { personColor } from '../lib/colors';
import { clockTime, plural, relativeTime } from '../lib/format';
import { errorText, request, requestJson } from '../lib/http';
import type { Person, PersonDetail, PersonsPage } from '../lib/types';
import { ChevronLeft, ChevronRight, CloseIcon, FaceIcon, RefreshIcon, TrashIcon } from './Icons';

export const PERSONS_PAGE_SIZE = 24;

const labelOf = (p: Pick<Person, 'name' | 'number'>) => p.name || `Person #${p.number}`;
const coverOf = (p: Person) => p.coverUrl ?? (p.coverFaceId ? `/api/v1/faces/${p.coverFaceId}/crop` : null);

function Avatar({ person, size }: { person: Person; size: 'lg' | 'xl' }) {
  const src = coverOf(person);
  return (
    <div className={`avatar avatar-${size}`} style={{ ['--c' as string]: personColor(person.id, person.number) }}>
      {src ? <img src={src} alt={`Face of ${labelOf(person)}`} loading="lazy" decoding="async" /> : <FaceIcon />}
    </div>
  );
}

/** One person's faces, with delete behind an explicit confirmation. */
function PersonSheet(props: { person: Person; onClose: () => void; onDeleted: (p: Person) => void; onError: (title: string, detail: string) => void }) {
  const { person } = props;
  const [detail, setDetail] = useState<PersonDetail | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const closeRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    let alive = true;
    setDetail(null);
    setLoadError(null);
    requestJson<PersonDetail>(`/api/v1/persons/${encodeURIComponent(person.id)}`)
      .then((d) => alive && setDetail(d))
      .catch((err) => alive && setLoadError(errorText(err).detail));
    return () => {
      alive = false;
    };
  }, [person.id]);

  const onCloseRef = useRef(props.onClose);
  onCloseRef.current = props.onClose;
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onCloseRef.current();
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      before?.focus?.();
    };
  }, []);

  const remove = async () => {
    setDeleting(true);
    try {
      await request(`/api/v1/persons/${encodeURIComponent(person.id)}`, { method: 'DELETE' });
      props.onDeleted(person);
    } catch (err) {
      const { title, detail: d } = errorText(err);
      props.onError(`Could not delete ${labelOf(person)}: ${title}`, d);
      setDeleting(false);
      setConfirming(false);
    }
  };

  const faces = detail?.faces ?? [];
  const label = labelOf(person);
  return (
    <div className="sheet-backdrop" onClick={props.onClose}>
      <div className="sheet" role="dialog" aria-modal="true" aria-labelledby="sheet-title" onClick={(e) => e.stopPropagation()}>
        <div className="sheet-head">
          <Avatar person={person} size="xl" />
          <div className="sheet-title">
            <h2 id="sheet-title">
              <span className="badge static" style={{ ['--c' as string]: personColor(person.id, person.number) }}>
                {label}
              </span>
            </h2>
            <p className="muted small">
              {plural(person.faceCount, 'face')} · first seen {relativeTime(person.createdAt)} · last seen {relativeTime(person.lastSeenAt)}
            </p>
          </div>
          <button ref={closeRef} type="button" className="icon-btn" aria-label="Close" onClick={props.onClose}>
            <CloseIcon />
          </button>
        </div>

        <div className="sheet-body">
          {loadError ? <p className="empty-inline failed">Cannot load the faces: {loadError}</p> : null}
          {!detail && !loadError ? (
            <p className="empty-inline">
              <span className="spinner dark" aria-hidden="true" /> Loading faces…
            </p>
          ) : null}
          {detail && faces.length === 0 ? <p className="empty-inline">No stored faces.</p> : null}
          {faces.length ? (
            <div className="face-grid">
              {faces.map((f) => (
                <figure key={f.id} className="face">
                  {f.cropUrl ? <img src={f.cropUrl} alt={`Face of ${label}`} loading="lazy" decoding="async" /> : <FaceIcon />}
                  <figcaption>
                    <time dateTime={f.capturedAt}>{clockTime(f.capturedAt)}</time>
                    <span className="muted"> · {f.source === 'upload' ? 'upload' : 'stream'}</span>
                  </figcaption>
                </figure>
              ))}
            </div>
          ) : null}
        </div>

        <div className="sheet-foot">
          {confirming ? (
            <div className="confirm" role="group" aria-label="Confirm deletion">
              <p>
                Delete <strong>{label}</strong> and {plural(person.faceCount, 'stored face')}? This cannot be undone.
              </p>
              <div className="confirm-actions">
                <button type="button" className="btn btn-ghost" onClick={() => setConfirming(false)} disabled={deleting}>
                  Cancel
                </button>
                <button type="button" className="btn btn-danger" data-testid="confirm-delete" onClick={remove} disabled={deleting}>
                  <TrashIcon /> {deleting ? 'Deleting…' : 'Delete'}
                </button>
              </div>
            </div>
          ) : (
            <button type="button" className="btn btn-ghost danger-text" data-testid="delete-person" onClick={() => setConfirming(true)}>
              <TrashIcon /> Delete person
            </button>
          )}
        </div>
      </div>
    </div>
  );
}

/** The gallery: every known person, most recently seen first, paginated. */
export function PersonsView(props: {
  active: boolean;
  version: number;
  onTotal: (n: number) => void;
  onDeleted: (personId: string) => void;
  onError: (title: string, detail: string) => void;
}) {
  const { active, version, onTotal } = props;
  const [page, setPage] = useState(1);
  const [data, setData] = useState<PersonsPage | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<Person | null>(null);
  const [reload, setReload] = useState(0);

  const load = useCallback(async (p: number) => {
    setLoading(true);
    try {
      const d = await requestJson<PersonsPage>(`/api/v1/persons?page=${p}&pageSize=${PERSONS_PAGE_SIZE}`);
      setData(d);
      setError(null);
      return d;
    } catch (err) {
      setError(errorText(err).detail);
      return null;
    } finally {
      setLoading(false);
    }
  }, []);

  // load when shown, when the page changes, and when new faces were stored (version)
  useEffect(() => {
    if (!active && data) return;
    let alive = true;
    void load(page).then((d) => {
      if (!alive || !d) return;
      onTotal(d.total);
      const pages = Math.max(1, Math.ceil(d.total / d.pageSize));
      if (page > pages) setPage(pages);
    });
    return () => {
      alive = false;
    };
  }, [active, page, version, reload, load, onTotal]);

  const pages = data ? Math.max(1, Math.ceil(data.total / data.pageSize)) : 1;
  const items = data?.items ?? [];

  return (
    <section className="panel persons" aria-labelledby="persons-title">
      <div className="panel-head">
        <div>
          <h2 id="persons-title">
            Known persons {data?.total ? <span className="count">{data.total}</span> : null}
          </h2>
          <p className="muted small">Most recently seen first. Open a person to see their faces or delete them.</p>
        </div>
        <button type="button" className="btn btn-ghost btn-small" onClick={() => setReload((n) => n + 1)} disabled={loading}>
          <RefreshIcon /> Refresh
        </button>
      </div>

      {error ? <p className="empty-inline failed">Cannot load persons: {error}</p> : null}
      {!error && data && items.length === 0 ? (
        <div className="empty">
          <FaceIcon className="empty-icon" />
          <p className="empty-title">Nobody yet</p>
          <p className="muted small">Recognize a photo or start the camera: each new face becomes a person here.</p>
        </div>
      ) : null}
      {!data && !error ? (
        <p className="empty-inline">
          <span className="spinner dark" aria-hidden="true" /> Loading…
        </p>
      ) : null}

      {items.length ? (
        <ul className="person-grid">
          {items.map((p) => (
            <li key={p.id}>
              <button type="button" className="person-tile" data-testid="person-tile" data-person-id={p.id} onClick={() => setOpen(p)}>
                <Avatar person={p} size="lg" />
                <span className="badge static" style={{ ['--c' as string]: personColor(p.id, p.number) }}>
                  {labelOf(p)}
                </span>
                <span className="muted small">
                  {plural(p.faceCount, 'face')} · {relativeTime(p.lastSeenAt)}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}

      {pages > 1 ? (
        <nav className="pager" aria-label="Pages">
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setPage((p) => Math.max(1, p - 1))} disabled={page <= 1 || loading}>
            <ChevronLeft /> Previous
          </button>
          <span className="muted small">
            Page {page} of {pages}
          </span>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setPage((p) => Math.min(pages, p + 1))} disabled={page >= pages || loading}>
            Next <ChevronRight />
          </button>
        </nav>
      ) : null}

      {open ? (
        <PersonSheet
          person={open}
          onClose={() => setOpen(null)}
          onError={props.onError}
          onDeleted={(p) => {
            setOpen(null);
            props.onDeleted(p.id);
            setReload((n) => n + 1);
          }}
        />
      ) : null}
    </section>
  );
}
