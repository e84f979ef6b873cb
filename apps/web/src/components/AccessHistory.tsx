import { useEffect, useState } from 'react';
import { relativeTime } from '../lib/format';
import { ApiError, errorText, requestJson } from '../lib/http';
import type { AuditPage, AuditRecord } from '../lib/types';

const HISTORY_SIZE = 20;

const who = (a: AuditRecord['actor']) =>
  a.kind === 'bootstrap'
    ? 'admin key'
    : a.kind === 'session'
      ? 'live camera'
      : `${a.kind === 'cookie' ? 'web client, key' : 'API key'} ${a.id ?? '?'}`;

/** Who accessed a person's data (`GET /api/v1/audit?personId=`, admin scope; docs/privacy.md), loaded when opened. */
export function AccessHistory(props: { personId: string }) {
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<AuditRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open) return;
    let alive = true;
    requestJson<AuditPage>(`/api/v1/audit?personId=${encodeURIComponent(props.personId)}&pageSize=${HISTORY_SIZE}`)
      .then((page) => alive && setItems(page.items))
      .catch((err) => {
        if (!alive) return;
        setError(
          err instanceof ApiError && err.status === 403
            ? 'Only an admin key can see the access history.'
            : errorText(err).detail,
        );
      });
    return () => {
      alive = false;
    };
  }, [open, props.personId]);

  return (
    <details
      className="access-history"
      data-testid="access-history"
      onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}
    >
      <summary>Access history</summary>
      {error ? <p className="empty-inline failed">{error}</p> : null}
      {!error && open && !items ? <p className="empty-inline">Loading…</p> : null}
      {items && items.length === 0 ? <p className="empty-inline">No recorded access.</p> : null}
      {items && items.length ? (
        <ul>
          {items.map((r) => (
            <li key={r.id}>
              <time dateTime={r.at}>{relativeTime(r.at)}</time> · {who(r.actor)} · {r.method} {r.route}
              <span className="muted">
                {' '}
                ({r.status}
                {r.faces ? `, ${r.faces} face${r.faces === 1 ? '' : 's'}` : ''}
                {r.ip ? `, from ${r.ip}` : ''})
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </details>
  );
}
