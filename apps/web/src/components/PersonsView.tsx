import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { personColor } from '../lib/colors';
import { cropUrlOf } from '../lib/crops';
import { AccessHistory } from './AccessHistory';
import { Pager } from './Pager';
import { RefreshButton } from './RefreshButton';
import { PersonTimeline } from './PersonTimeline';
import { PrivacyMode } from './PrivacyMode';
import { clockTime, plural, relativeTime } from '../lib/format';
import { errorText, jsonInit, request, requestJson } from '../lib/http';
import { listQuery, nameOrNull, toggleSelection } from '../lib/library';
import type { Person, PersonDetail, PersonsPage } from '../lib/types';
import { useDebouncedFilter } from '../hooks/useDebouncedFilter';
import { CloseIcon, DownloadIcon, FaceIcon, MergeIcon, PencilIcon, PlusIcon, SearchIcon, TrashIcon } from './Icons';

export const PERSONS_PAGE_SIZE = 24;

type OnError = (title: string, detail: string) => void;

export const labelOf = (p: Pick<Person, 'name' | 'number'>) => p.name || `Person #${p.number}`;
const coverOf = (p: Person) => p.coverUrl ?? cropUrlOf(p.coverFaceId);

function Avatar({ person, size }: { person: Person; size: 'sm' | 'lg' | 'xl' }) {
  const src = coverOf(person);
  return (
    <div className={`avatar avatar-${size}`} style={{ ['--c' as string]: personColor(person.id, person.number) }}>
      {src ? <img src={src} alt={`Face of ${labelOf(person)}`} loading="eager" decoding="async" /> : <FaceIcon />}
    </div>
  );
}

/** The person's name, editable in place (`PATCH /api/v1/persons/:id {name}`; blank clears it). */
function RenameTitle(props: { person: Person; onRenamed: (p: Person) => void; onError: OnError }) {
  const { person } = props;
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(person.name ?? '');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const save = async (e?: FormEvent) => {
    e?.preventDefault();
    const name = nameOrNull(text);
    if (name === (person.name ?? null)) return setEditing(false);
    setSaving(true);
    try {
      const updated = await requestJson<Person>(
        `/api/v1/persons/${encodeURIComponent(person.id)}`,
        jsonInit('PATCH', { name }),
      );
      props.onRenamed({ ...person, ...updated, name: updated?.name !== undefined ? updated.name : name });
      setEditing(false);
      setError(null);
    } catch (err) {
      setError(errorText(err).detail);
    } finally {
      setSaving(false);
    }
  };

  if (!editing) {
    return (
      <h2 id="sheet-title" className="title-row">
        <span className="badge static" style={{ ['--c' as string]: personColor(person.id, person.number) }}>
          {labelOf(person)}
        </span>
        <button
          type="button"
          className="icon-btn"
          data-testid="rename-person"
          aria-label={`Rename ${labelOf(person)}`}
          title="Rename"
          onClick={() => {
            setText(person.name ?? '');
            setEditing(true);
          }}
        >
          <PencilIcon />
        </button>
      </h2>
    );
  }
  return (
    <form className="rename" onSubmit={save}>
      <label className="visually-hidden" htmlFor="rename-input">
        Name of person #{person.number}
      </label>
      <input
        id="rename-input"
        data-testid="rename-input"
        className="input"
        value={text}
        maxLength={100}
        placeholder={`Person #${person.number}`}
        autoFocus
        disabled={saving}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            setEditing(false);
          }
        }}
      />
      <button type="submit" className="btn btn-primary btn-small" data-testid="rename-save" disabled={saving}>
        {saving ? 'Saving…' : 'Save'}
      </button>
      <button type="button" className="btn btn-ghost btn-small" onClick={() => setEditing(false)} disabled={saving}>
        Cancel
      </button>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}

/** One person's faces: rename, move a face to another person, delete behind a confirmation. */
function PersonSheet(props: {
  person: Person;
  others: Person[];
  onClose: () => void;
  onChanged: (p: Person) => void;
  onDeleted: (p: Person) => void;
  onError: OnError;
}) {
  const [person, setPerson] = useState(props.person);
  const [detail, setDetail] = useState<PersonDetail | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [moving, setMoving] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const closeRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    let alive = true;
    setLoadError(null);
    requestJson<PersonDetail>(`/api/v1/persons/${encodeURIComponent(person.id)}`)
      .then((d) => {
        if (!alive) return;
        setDetail(d);
        setPerson((p) => ({ ...p, ...d }));
      })
      .catch((err) => alive && setLoadError(errorText(err).detail));
    return () => {
      alive = false;
    };
  }, [person.id, reload]);

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

  /** `POST /api/v1/faces/:id/move {toPersonId}`; `new` makes the face a person of its own. */
  const move = async (faceId: string, to: string) => {
    if (!to) return;
    setMoving(faceId);
    try {
      await request(
        `/api/v1/faces/${encodeURIComponent(faceId)}/move`,
        jsonInit('POST', { toPersonId: to === 'new' ? null : to }),
      );
      setDetail((d) =>
        d ? { ...d, faces: d.faces.filter((f) => f.id !== faceId), faceCount: Math.max(0, d.faceCount - 1) } : d,
      );
      setReload((n) => n + 1);
      props.onChanged({ ...person, faceCount: Math.max(0, person.faceCount - 1) });
    } catch (err) {
      const { title, detail: d } = errorText(err);
      props.onError(`Could not move the face: ${title}`, d);
    } finally {
      setMoving(null);
    }
  };

  /** `POST /api/v1/faces/:id/reject {personId}`: not this person; the face becomes a person of its own, for good. */
  const reject = async (faceId: string) => {
    setMoving(faceId);
    try {
      await request(`/api/v1/faces/${encodeURIComponent(faceId)}/reject`, jsonInit('POST', { personId: person.id }));
      setDetail((d) =>
        d ? { ...d, faces: d.faces.filter((f) => f.id !== faceId), faceCount: Math.max(0, d.faceCount - 1) } : d,
      );
      setReload((n) => n + 1);
      props.onChanged({ ...person, faceCount: Math.max(0, person.faceCount - 1) });
    } catch (err) {
      const { title, detail: d } = errorText(err);
      props.onError(`Could not mark the face as not ${labelOf(person)}: ${title}`, d);
    } finally {
      setMoving(null);
    }
  };

  const faces = detail?.faces ?? [];
  const label = labelOf(person);
  const others = props.others.filter((o) => o.id !== person.id);
  return (
    <div className="sheet-backdrop" onClick={props.onClose}>
      <div
        className="sheet"
        role="dialog"
        aria-modal="true"
        aria-labelledby="sheet-title"
        data-testid="person-detail"
        onClick={(e) => e.stopPropagation()}
      >
        <div className="sheet-head">
          <Avatar person={person} size="xl" />
          <div className="sheet-title">
            <RenameTitle
              person={person}
              onError={props.onError}
              onRenamed={(p) => {
                setPerson(p);
                props.onChanged(p);
              }}
            />
            <p className="muted small">
              {plural(person.faceCount, 'face')} · first seen {relativeTime(person.createdAt)} · last seen{' '}
              {relativeTime(person.lastSeenAt)}
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
                <figure key={f.id} className="face" data-testid="person-face" data-face-id={f.id}>
                  {f.cropUrl ? (
                    <img src={f.cropUrl} alt={`Face of ${label}`} loading="eager" decoding="async" />
                  ) : (
                    <FaceIcon />
                  )}
                  <figcaption>
                    <time dateTime={f.capturedAt}>{clockTime(f.capturedAt)}</time>
                    <span className="muted">
                      {' '}
                      · {f.source === 'upload' ? 'upload' : f.source === 'enroll' ? 'enrolled' : 'stream'}
                    </span>
                  </figcaption>
                  <label className="visually-hidden" htmlFor={`move-${f.id}`}>
                    Move this face to
                  </label>
                  <select
                    id={`move-${f.id}`}
                    className="move-select"
                    data-testid="move-face"
                    value=""
                    disabled={moving != null}
                    onChange={(e) => void move(f.id, e.target.value)}
                  >
                    <option value="">{moving === f.id ? 'Moving…' : 'Move face to…'}</option>
                    <option value="new">A new person</option>
                    {others.map((o) => (
                      <option key={o.id} value={o.id}>
                        {labelOf(o)}
                      </option>
                    ))}
                  </select>
                  {faces.length > 1 ? (
                    <button
                      type="button"
                      className="btn btn-ghost btn-small not-this"
                      data-testid="reject-face"
                      disabled={moving != null}
                      title={`This face is not ${label}: it becomes a person of its own and never joins ${label} again`}
                      onClick={() => void reject(f.id)}
                    >
                      Not {label}
                    </button>
                  ) : null}
                </figure>
              ))}
            </div>
          ) : null}
        </div>

        <PersonTimeline personId={person.id} />

        <AccessHistory personId={person.id} />

        <div className="sheet-foot">
          {confirming ? (
            <div className="confirm" role="group" aria-label="Confirm deletion">
              <p>
                Delete <strong>{label}</strong> and {plural(person.faceCount, 'stored face')}? This cannot be undone.
              </p>
              <div className="confirm-actions">
                <button
                  type="button"
                  className="btn btn-ghost"
                  onClick={() => setConfirming(false)}
                  disabled={deleting}
                >
                  Cancel
                </button>
                <button
                  type="button"
                  className="btn btn-danger"
                  data-testid="confirm-delete"
                  onClick={remove}
                  disabled={deleting}
                >
                  <TrashIcon /> {deleting ? 'Deleting…' : 'Delete'}
                </button>
              </div>
            </div>
          ) : (
            <>
              {/* subject access (docs/privacy.md): the signed-in cookie authorizes the download */}
              <a
                className="btn btn-ghost"
                data-testid="export-person"
                href={`/api/v1/persons/${person.id}/export`}
                download
              >
                <DownloadIcon /> Download everything
              </a>
              <button
                type="button"
                className="btn btn-ghost danger-text"
                data-testid="delete-person"
                onClick={() => setConfirming(true)}
              >
                <TrashIcon /> Delete person
              </button>
            </>
          )}
        </div>
      </div>
    </div>
  );
}

/** "Enroll person": a name and photos of exactly one face each → `POST /api/v1/persons` (multipart). */
function EnrollForm(props: { onEnrolled: (p: Person) => void; onCancel: () => void }) {
  const [name, setName] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ title: string; detail: string } | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!files.length)
      return setError({ title: 'No photos', detail: 'Choose one or more photos showing only this person.' });
    const body = new FormData();
    const n = nameOrNull(name);
    if (n) body.append('name', n);
    for (const f of files) body.append('images', f, f.name);
    setBusy(true);
    setError(null);
    try {
      const reply = await requestJson<Person & { person?: Person }>('/api/v1/persons', {
        method: 'POST',
        body,
        headers: { Accept: 'application/json' },
      });
      props.onEnrolled(reply.person ?? reply);
      setName('');
      setFiles([]);
      if (fileRef.current) fileRef.current.value = '';
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="enroll" data-testid="enroll-form" onSubmit={submit} aria-labelledby="enroll-title">
      <div className="enroll-head">
        <h3 id="enroll-title">Enroll a person</h3>
        <p className="muted small">
          A name and one or more photos, each showing only this person's face, sharp and facing the camera.
        </p>
      </div>
      <div className="enroll-fields">
        <label className="field">
          <span>Name</span>
          <input
            className="input"
            data-testid="enroll-name"
            value={name}
            maxLength={100}
            placeholder="e.g. Ana Palacio"
            onChange={(e) => setName(e.target.value)}
            disabled={busy}
          />
        </label>
        <label className="field">
          <span>Photos</span>
          <input
            ref={fileRef}
            className="input input-file"
            type="file"
            accept="image/jpeg,image/png"
            multiple
            data-testid="enroll-images"
            disabled={busy}
            onChange={(e) => setFiles(Array.from(e.target.files ?? []))}
          />
        </label>
        <div className="enroll-actions">
          <button type="button" className="btn btn-ghost" onClick={props.onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" data-testid="enroll-submit" disabled={busy}>
            {busy ? <span className="spinner" aria-hidden="true" /> : <PlusIcon />}{' '}
            {busy ? 'Enrolling…' : files.length > 1 ? `Enroll with ${files.length} photos` : 'Enroll'}
          </button>
        </div>
      </div>
      {error ? (
        <p className="form-error" role="alert" data-testid="enroll-error">
          <strong>{error.title}:</strong> {error.detail}
        </p>
      ) : null}
    </form>
  );
}

/** The gallery: every known person, most recently seen first, paginated, filterable by name. */
export function PersonsView(props: {
  active: boolean;
  version: number;
  onTotal: (n: number) => void;
  onDeleted: (personId: string) => void;
  onError: OnError;
}) {
  const { active, version, onTotal } = props;
  const [page, setPage] = useState(1);
  const [data, setData] = useState<PersonsPage | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<Person | null>(null);
  const [reload, setReload] = useState(0);
  const [filterText, setFilterText, filter] = useDebouncedFilter(() => setPage(1));
  const [selected, setSelected] = useState<string[]>([]);
  const [known, setKnown] = useState<Map<string, Person>>(new Map());
  const [merging, setMerging] = useState(false);
  const [enrolling, setEnrolling] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async (p: number, name: string) => {
    setLoading(true);
    try {
      const d = await requestJson<PersonsPage>(
        listQuery('/api/v1/persons', { page: p, pageSize: PERSONS_PAGE_SIZE, name }),
      );
      setData(d);
      setError(null);
      setKnown((m) => {
        const next = new Map(m);
        for (const it of d.items) next.set(it.id, it);
        return next;
      });
      return d;
    } catch (err) {
      setError(errorText(err).detail);
      return null;
    } finally {
      setLoading(false);
    }
  }, []);

  // load when shown, when the page or filter changes, and when new faces were stored (version)
  useEffect(() => {
    if (!active && data) return;
    let alive = true;
    void load(page, filter).then((d) => {
      if (!alive || !d) return;
      if (!filter) onTotal(d.total);
      const pages = Math.max(1, Math.ceil(d.total / d.pageSize));
      if (page > pages) setPage(pages);
    });
    return () => {
      alive = false;
    };
  }, [active, page, filter, version, reload, load, onTotal]);

  useEffect(() => {
    if (!notice) return;
    const id = setTimeout(() => setNotice(null), 5000);
    return () => clearTimeout(id);
  }, [notice]);

  const pages = data ? Math.max(1, Math.ceil(data.total / data.pageSize)) : 1;
  const items = data?.items ?? [];
  const [targetId, sourceId] = selected;
  const target = targetId ? known.get(targetId) : undefined;
  const source = sourceId ? known.get(sourceId) : undefined;

  /** `POST /api/v1/persons/:targetId/merge {sourceId}`: the first pick keeps its number and name. */
  const merge = async () => {
    if (!target || !source) return;
    setMerging(true);
    try {
      await request(
        `/api/v1/persons/${encodeURIComponent(target.id)}/merge`,
        jsonInit('POST', { sourceId: source.id }),
      );
      setSelected([]);
      setNotice(`Merged ${labelOf(source)} into ${labelOf(target)}.`);
      props.onDeleted(source.id);
      setReload((n) => n + 1);
    } catch (err) {
      const { title, detail } = errorText(err);
      props.onError(`Could not merge: ${title}`, detail);
    } finally {
      setMerging(false);
    }
  };

  return (
    <section className="panel persons" aria-labelledby="persons-title">
      <div className="panel-head">
        <div>
          <h2 id="persons-title">Known persons {data?.total ? <span className="count">{data.total}</span> : null}</h2>
          <p className="muted small">
            Most recently seen first. Open a person to rename them, move faces or delete them; tick two to merge them.
          </p>
          <PrivacyMode />
        </div>
        <div className="head-actions">
          <button
            type="button"
            className="btn btn-small"
            onClick={() => setEnrolling((v) => !v)}
            aria-expanded={enrolling}
          >
            <PlusIcon /> Enroll person
          </button>
          <RefreshButton onRefresh={() => setReload((n) => n + 1)} disabled={loading} />
        </div>
      </div>

      {enrolling ? (
        <EnrollForm
          onCancel={() => setEnrolling(false)}
          onEnrolled={(p) => {
            setEnrolling(false);
            setNotice(`Enrolled ${p?.number ? labelOf(p) : 'the person'}.`);
            setFilterText('');
            setPage(1);
            setReload((n) => n + 1);
          }}
        />
      ) : null}

      <div className="persons-bar">
        <label className="search">
          <SearchIcon />
          <span className="visually-hidden">Filter by name</span>
          <input
            type="search"
            className="input"
            data-testid="person-filter"
            placeholder="Filter by name"
            value={filterText}
            onChange={(e) => setFilterText(e.target.value)}
          />
        </label>
        <div className={`merge-bar${selected.length ? ' on' : ''}`} aria-live="polite">
          {selected.length === 0 ? (
            <span className="muted small">Tick two persons to merge them.</span>
          ) : selected.length === 1 ? (
            <span className="small">
              Keep <strong>{target ? labelOf(target) : '…'}</strong>; tick the person to merge into them.
            </span>
          ) : (
            <span className="small">
              Merge <strong>{source ? labelOf(source) : '…'}</strong> into{' '}
              <strong>{target ? labelOf(target) : '…'}</strong>
              <button
                type="button"
                className="link-btn"
                onClick={() => setSelected([sourceId, targetId])}
                disabled={merging}
              >
                swap
              </button>
            </span>
          )}
          {selected.length ? (
            <button
              type="button"
              className="btn btn-ghost btn-small"
              onClick={() => setSelected([])}
              disabled={merging}
            >
              Clear
            </button>
          ) : null}
          <button
            type="button"
            className="btn btn-primary btn-small"
            data-testid="merge-persons"
            onClick={merge}
            disabled={selected.length !== 2 || merging}
          >
            <MergeIcon /> {merging ? 'Merging…' : 'Merge'}
          </button>
        </div>
      </div>
      {notice ? (
        <p className="notice small" role="status">
          {notice}
        </p>
      ) : null}

      {error ? <p className="empty-inline failed">Cannot load persons: {error}</p> : null}
      {!error && data && items.length === 0 ? (
        <div className="empty">
          <FaceIcon className="empty-icon" />
          <p className="empty-title">{filter ? `Nobody named “${filter}”` : 'Nobody yet'}</p>
          <p className="muted small">
            {filter
              ? 'Try another name, or clear the filter.'
              : 'Recognize a photo, start the camera or enroll someone: each new face becomes a person here.'}
          </p>
        </div>
      ) : null}
      {!data && !error ? (
        <p className="empty-inline">
          <span className="spinner dark" aria-hidden="true" /> Loading…
        </p>
      ) : null}

      {items.length ? (
        <ul className="person-grid">
          {items.map((p) => {
            const pick = selected.indexOf(p.id);
            return (
              <li key={p.id} className={pick >= 0 ? 'picked' : undefined}>
                <button
                  type="button"
                  className="person-tile"
                  data-testid="person-tile"
                  data-person-id={p.id}
                  onClick={() => setOpen(p)}
                >
                  <Avatar person={p} size="lg" />
                  <span className="badge static" style={{ ['--c' as string]: personColor(p.id, p.number) }}>
                    {labelOf(p)}
                  </span>
                  <span className="muted small">
                    {plural(p.faceCount, 'face')} · {relativeTime(p.lastSeenAt)}
                  </span>
                </button>
                <label
                  className="pick"
                  title={
                    pick === 0 ? 'Kept when merging' : pick === 1 ? 'Merged into the first pick' : 'Select to merge'
                  }
                >
                  <input
                    type="checkbox"
                    data-testid="select-person"
                    checked={pick >= 0}
                    onChange={() => setSelected((s) => toggleSelection(s, p.id))}
                  />
                  <span className="visually-hidden">Select {labelOf(p)} for merging</span>
                  {pick >= 0 ? <span className="pick-num">{pick + 1}</span> : null}
                </label>
              </li>
            );
          })}
        </ul>
      ) : null}

      <Pager page={page} pages={pages} busy={loading} setPage={setPage} back="Previous" forward="Next" />

      {open ? (
        <PersonSheet
          person={open}
          others={items}
          onClose={() => setOpen(null)}
          onError={props.onError}
          onChanged={() => setReload((n) => n + 1)}
          onDeleted={(p) => {
            setOpen(null);
            setSelected((s) => s.filter((id) => id !== p.id));
            props.onDeleted(p.id);
            setReload((n) => n + 1);
          }}
        />
      ) : null}
    </section>
  );
}
