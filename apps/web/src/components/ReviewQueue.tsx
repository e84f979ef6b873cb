import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { personColor } from '../lib/colors';
import { plural } from '../lib/format';
import { errorText, jsonInit, request, requestJson } from '../lib/http';
import { mergePlan, withoutPersons } from '../lib/review';
import type { Person, ReviewGroup, ReviewReply } from '../lib/types';
import { FaceIcon } from './Icons';
import { RefreshButton } from './RefreshButton';

type OnError = (title: string, detail: string) => void;

const labelOf = (p: Pick<Person, 'name' | 'number'>) => p.name || `Person #${p.number}`;
const REVIEW_GROUPS = 10;

/** One group of look-alike persons: their faces side by side, and the three decisions. */
function ReviewCard(props: {
  group: ReviewGroup;
  busy: boolean;
  onMerge: (g: ReviewGroup, name: string | null) => void;
  onDifferent: (g: ReviewGroup) => void;
}) {
  const { group, busy } = props;
  const [name, setName] = useState('');
  const { target } = mergePlan(group);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onMerge(group, name.trim() || null);
  };
  return (
    <article className="review-card" data-testid="review-group">
      <div className="review-people">
        {group.persons.map(({ person, faces }) => (
          <div
            key={person.id}
            className="review-person"
            style={{ ['--c' as string]: personColor(person.id, person.number) }}
          >
            <div className="review-faces">
              {faces.length ? (
                faces.map((f) =>
                  f.cropUrl ? (
                    <img
                      key={f.id}
                      src={f.cropUrl}
                      alt={`Face of ${labelOf(person)}`}
                      loading="eager"
                      decoding="async"
                    />
                  ) : (
                    <FaceIcon key={f.id} />
                  ),
                )
              ) : (
                <FaceIcon />
              )}
            </div>
            <p className="review-name">
              <strong>{labelOf(person)}</strong> <span className="muted small">{plural(person.faceCount, 'face')}</span>
            </p>
          </div>
        ))}
      </div>
      <p className="muted small">Closest faces {group.distance.toFixed(2)} apart.</p>
      <form className="review-actions" onSubmit={submit}>
        <input
          type="text"
          className="input input-small"
          placeholder={target.name ?? 'Name (optional)'}
          aria-label="Name for the merged person"
          value={name}
          maxLength={100}
          onChange={(e) => setName(e.target.value)}
          disabled={busy}
        />
        <button type="submit" className="btn btn-small" data-testid="review-merge" disabled={busy}>
          {name.trim() ? 'Same person: merge and name' : 'Same person: merge'}
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-small"
          data-testid="review-different"
          disabled={busy}
          onClick={() => props.onDifferent(group)}
        >
          Different people
        </button>
      </form>
    </article>
  );
}

/**
 * "Who is this?": persons that look like one another, with at least one unnamed, for one-click decisions.
 * Merging keeps the named (or largest) person; "different people" records cannot-links so they are never
 * grouped or merged again.
 */
export function ReviewQueue(props: {
  active: boolean;
  version: number;
  onChanged: (goneIds: string[]) => void;
  onError: OnError;
}) {
  const { active, version } = props;
  const [reply, setReply] = useState<ReviewReply | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    if (!active) return;
    let alive = true;
    requestJson<ReviewReply>(`/api/v1/review?limit=${REVIEW_GROUPS}`)
      .then((r) => {
        if (!alive) return;
        setReply(r);
        setError(null);
      })
      .catch((err) => alive && setError(errorText(err).detail));
    return () => {
      alive = false;
    };
  }, [active, version, reload]);

  const drop = useCallback((gone: string[]) => {
    const set = new Set(gone);
    setReply((r) =>
      r ? { ...r, groups: r.groups.map((g) => withoutPersons(g, set)).filter((g): g is ReviewGroup => g !== null) } : r,
    );
  }, []);

  const act = async (what: string, fn: () => Promise<string[]>) => {
    setBusy(true);
    try {
      const gone = await fn();
      props.onChanged(gone);
      setReload((n) => n + 1);
    } catch (err) {
      const { title, detail } = errorText(err);
      props.onError(`${what}: ${title}`, detail);
    } finally {
      setBusy(false);
    }
  };

  const merge = (g: ReviewGroup, name: string | null) =>
    act('Could not merge', async () => {
      const { target, sources } = mergePlan(g);
      const gone: string[] = [];
      for (const s of sources) {
        await request(`/api/v1/persons/${encodeURIComponent(target.id)}/merge`, jsonInit('POST', { sourceId: s.id }));
        gone.push(s.id);
        drop([s.id]);
      }
      if (name) await request(`/api/v1/persons/${encodeURIComponent(target.id)}`, jsonInit('PATCH', { name }));
      drop([target.id]);
      return gone;
    });

  const different = (g: ReviewGroup) =>
    act('Could not mark them as different people', async () => {
      const ids = g.persons.map((m) => m.person.id);
      await request('/api/v1/review/different', jsonInit('POST', { personIds: ids }));
      drop(ids);
      return [];
    });

  const groups = reply?.groups ?? [];
  return (
    <section className="panel review" aria-labelledby="review-title" data-testid="review-queue">
      <div className="panel-head">
        <div>
          <h2 id="review-title">
            Who is this? {groups.length ? <span className="count">{groups.length}</span> : null}
          </h2>
          <p className="muted small">
            Persons who look like one another (faces closer than {reply ? reply.maxDistance.toFixed(2) : '…'}). Merge
            them, name them, or mark them as different people.
          </p>
        </div>
        <RefreshButton onRefresh={() => setReload((n) => n + 1)} disabled={busy} />
      </div>
      {error ? <p className="empty-inline failed">Cannot load the review queue: {error}</p> : null}
      {reply && groups.length === 0 ? (
        <p className="empty-inline">Nothing to review: no unnamed person looks like another.</p>
      ) : null}
      {groups.length ? (
        <div className="review-list">
          {groups.map((g) => (
            <ReviewCard
              key={g.persons.map((m) => m.person.id).join('|')}
              group={g}
              busy={busy}
              onMerge={(x, n) => void merge(x, n)}
              onDifferent={(x) => void different(x)}
            />
          ))}
        </div>
      ) : null}
      {reply?.truncated ? (
        <p className="muted small">Looked at the {reply.consideredPersons} most recently seen unnamed persons.</p>
      ) : null}
    </section>
  );
}
