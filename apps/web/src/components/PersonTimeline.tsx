import { useEffect, useState } from 'react';
import type { ApiCamera, TimelineEntry, TimelinePage } from '../lib/types';
import { clockTime, plural, relativeTime } from '../lib/format';
import { errorText, requestJson } from '../lib/http';
import { timelineQuery, whereText, type TimelineFilter } from '../lib/timeline';
import { FaceIcon } from './Icons';

const NO_FILTER: TimelineFilter = { camera: '', from: '', to: '' };

/** Where the person has been: sightings on every camera and stream, and uploads, newest first; filter by camera and time. */
export function PersonTimeline(props: { personId: string }) {
  const { personId } = props;
  const [filter, setFilter] = useState<TimelineFilter>(NO_FILTER);
  const [items, setItems] = useState<TimelineEntry[] | null>(null);
  const [total, setTotal] = useState(0);
  const [page, setPage] = useState(1);
  const [error, setError] = useState<string | null>(null);
  const [cameras, setCameras] = useState<ApiCamera[]>([]);

  useEffect(() => {
    requestJson<{ items: ApiCamera[] }>('/api/v1/cameras')
      .then((r) => setCameras(r.items))
      .catch(() => setCameras([])); // without capture: "All" and "Uploads" still work
  }, []);

  useEffect(() => {
    const built = timelineQuery(filter, page);
    if ('error' in built) return setError(built.error);
    let alive = true;
    requestJson<TimelinePage>(`/api/v1/persons/${encodeURIComponent(personId)}/timeline?${built.query}`)
      .then((r) => {
        if (!alive) return;
        setItems((prev) => (page === 1 ? r.items : [...(prev ?? []), ...r.items]));
        setTotal(r.total);
        setError(null);
      })
      .catch((err) => alive && setError(errorText(err).detail));
    return () => {
      alive = false;
    };
  }, [personId, filter, page]);

  const set = (patch: Partial<TimelineFilter>) => {
    setPage(1);
    setFilter((f) => ({ ...f, ...patch }));
  };

  return (
    <section className="person-timeline" data-testid="person-timeline" aria-labelledby="timeline-title">
      <h3 id="timeline-title">Timeline {items ? <span className="count">{total}</span> : null}</h3>
      <div className="persons-bar" style={{ flexWrap: 'wrap', gap: '0.5rem', alignItems: 'flex-end' }}>
        <label className="field" style={{ flex: '1 1 160px' }}>
          Camera
          <select
            className="input"
            value={filter.camera}
            onChange={(e) => set({ camera: e.target.value })}
            data-testid="timeline-camera"
          >
            <option value="">All cameras and uploads</option>
            {cameras.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
            <option value="upload">Uploads</option>
          </select>
        </label>
        <label className="field" style={{ flex: '1 1 180px' }}>
          From
          <input
            className="input"
            type="datetime-local"
            value={filter.from}
            onChange={(e) => set({ from: e.target.value })}
            data-testid="timeline-from"
          />
        </label>
        <label className="field" style={{ flex: '1 1 180px' }}>
          To
          <input
            className="input"
            type="datetime-local"
            value={filter.to}
            onChange={(e) => set({ to: e.target.value })}
            data-testid="timeline-to"
          />
        </label>
      </div>
      {error ? <p className="empty-inline failed">{error}</p> : null}
      {!error && !items ? <p className="empty-inline">Loading…</p> : null}
      {items && items.length === 0 && !error ? <p className="empty-inline">Not seen here in this period.</p> : null}
      {items?.length ? (
        <ol className="sighting-list" data-testid="timeline-list">
          {items.map((e) => (
            <li
              key={`${e.kind}:${e.id}`}
              className="sighting"
              data-testid="timeline-entry"
              data-kind={e.kind}
              data-source={e.source}
            >
              <div className="sighting-crop">
                {e.cropUrl ? (
                  <img src={e.cropUrl} alt={`Best face, ${whereText(e)}`} loading="lazy" decoding="async" />
                ) : (
                  <FaceIcon />
                )}
              </div>
              <div className="sighting-main">
                <div className="sighting-top">
                  <strong data-testid="timeline-where">{whereText(e)}</strong>{' '}
                  <time className="muted small" dateTime={e.startedAt} title={new Date(e.startedAt).toLocaleString()}>
                    {relativeTime(e.startedAt)}
                  </time>
                </div>
                <div className="muted small">
                  {e.kind === 'stream'
                    ? `${clockTime(e.startedAt)}–${e.endedAt ? clockTime(e.endedAt) : 'now'} · ${plural(e.frames, 'frame')}`
                    : new Date(e.startedAt).toLocaleString()}
                </div>
              </div>
            </li>
          ))}
        </ol>
      ) : null}
      {items && items.length < total ? (
        <button type="button" className="btn btn-ghost btn-small" onClick={() => setPage((p) => p + 1)}>
          Show more
        </button>
      ) : null}
    </section>
  );
}
