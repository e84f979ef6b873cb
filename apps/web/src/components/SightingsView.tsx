import { useCallback, useEffect, useState } from 'react';
import { personColor } from '../lib/colors';
import { cropUrlOf } from '../lib/crops';
import { clockTime, plural, relativeTime } from '../lib/format';
import { errorText, requestJson } from '../lib/http';
import { durationText, listQuery } from '../lib/library';
import { ClockIcon, FaceIcon } from './Icons';
import { Pager } from './Pager';
import { RefreshButton } from './RefreshButton';
import { useDebouncedFilter } from '../hooks/useDebouncedFilter';
import type { SightingsPage } from '../lib/types';

export const SIGHTINGS_PAGE_SIZE = 30;

/** Sightings, most recently started first (`GET /api/v1/sightings?streamId=&page=`), filterable by stream. */
export function SightingsView(props: { active: boolean; version: number }) {
  const { active, version } = props;
  const [page, setPage] = useState(1);
  const [streamText, setStreamText, streamId] = useDebouncedFilter(() => setPage(1));
  const [data, setData] = useState<SightingsPage | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  const load = useCallback(async (p: number, stream: string) => {
    setLoading(true);
    try {
      const d = await requestJson<SightingsPage>(
        listQuery('/api/v1/sightings', { streamId: stream, page: p, pageSize: SIGHTINGS_PAGE_SIZE }),
      );
      setData(d);
      setError(null);
    } catch (err) {
      setError(errorText(err).detail);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    if (!active) return;
    void load(page, streamId);
  }, [active, page, streamId, version, reload, load]);

  // open sightings change by the second: refresh every 5 s while shown
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => setReload((n) => n + 1), 5000);
    return () => clearInterval(id);
  }, [active]);

  const items = data?.items ?? [];
  const pages = data ? Math.max(1, Math.ceil(data.total / data.pageSize)) : 1;
  const streams = [...new Set(items.map((s) => s.streamId))];

  return (
    <section className="panel sightings" aria-labelledby="sightings-title">
      <div className="panel-head">
        <div>
          <h2 id="sightings-title">Sightings {data?.total ? <span className="count">{data.total}</span> : null}</h2>
          <p className="muted small">
            Each time a person appeared in a camera or video, newest first. A sighting ends after a few seconds without
            them.
          </p>
        </div>
        <RefreshButton onRefresh={() => setReload((n) => n + 1)} disabled={loading} />
      </div>

      <div className="persons-bar">
        <label className="search">
          <span className="small muted">Stream</span>
          <input
            className="input"
            list="sighting-streams"
            data-testid="sighting-filter"
            placeholder="All streams"
            value={streamText}
            onChange={(e) => setStreamText(e.target.value)}
          />
          <datalist id="sighting-streams">
            {streams.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
        </label>
      </div>

      {error ? <p className="empty-inline failed">Cannot load sightings: {error}</p> : null}
      {!data && !error ? (
        <p className="empty-inline">
          <span className="spinner dark" aria-hidden="true" /> Loading…
        </p>
      ) : null}
      {!error && data && items.length === 0 ? (
        <div className="empty">
          <ClockIcon className="empty-icon" />
          <p className="empty-title">{streamId ? `No sightings in ${streamId}` : 'No sightings yet'}</p>
          <p className="muted small">
            Start the camera or analyse a video: every appearance of a person is listed here.
          </p>
        </div>
      ) : null}

      {items.length ? (
        <ol className="sighting-list">
          {items.map((s) => {
            const label = s.personName || `Person #${s.personNumber}`;
            const crop = s.cropUrl ?? cropUrlOf(s.bestFaceId);
            const open = !s.endedAt;
            return (
              <li
                key={s.id}
                className="sighting"
                data-testid="sighting-row"
                data-person-id={s.personId}
                style={{ ['--c' as string]: personColor(s.personId, s.personNumber) }}
              >
                <div className="sighting-crop">
                  {crop ? <img src={crop} alt={`Face of ${label}`} loading="eager" decoding="async" /> : <FaceIcon />}
                </div>
                <div className="sighting-main">
                  <div className="sighting-top">
                    <span className="badge static" data-testid="sighting-person">
                      {label}
                    </span>
                    {open ? <span className="live-dot">in view</span> : null}
                    <span className="muted small sighting-stream" title={s.streamId}>
                      {s.streamId}
                    </span>
                  </div>
                  <dl className="sighting-times small">
                    <div>
                      <dt>Started</dt>
                      <dd>
                        <time dateTime={s.startedAt} title={new Date(s.startedAt).toLocaleString()}>
                          {clockTime(s.startedAt)}
                        </time>{' '}
                        <span className="muted">({relativeTime(s.startedAt)})</span>
                      </dd>
                    </div>
                    <div>
                      <dt>Last seen</dt>
                      <dd>
                        <time dateTime={s.lastSeenAt}>{clockTime(s.lastSeenAt)}</time>
                      </dd>
                    </div>
                    <div>
                      <dt>Ended</dt>
                      <dd>
                        {s.endedAt ? (
                          <time dateTime={s.endedAt}>{clockTime(s.endedAt)}</time>
                        ) : (
                          <span className="muted">not yet</span>
                        )}
                      </dd>
                    </div>
                    <div>
                      <dt>Duration</dt>
                      <dd>{durationText(s.startedAt, s.endedAt ?? s.lastSeenAt)}</dd>
                    </div>
                    <div>
                      <dt>Frames</dt>
                      <dd>{plural(s.frames, 'frame')}</dd>
                    </div>
                  </dl>
                </div>
              </li>
            );
          })}
        </ol>
      ) : null}

      <Pager page={page} pages={pages} busy={loading} setPage={setPage} back="Newer" forward="Older" />
    </section>
  );
}
