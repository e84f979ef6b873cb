import { memo } from 'react';
import { personColor } from '../lib/colors';
import { clockTime, personLabel } from '../lib/format';
import { cardMatchText, isDimmed, type ResultCard as Card, type ResultSource } from '../lib/results';
import { FaceIcon } from './Icons';

const SOURCE_TEXT: Record<ResultSource, string> = { camera: 'Camera', photo: 'Photo', video: 'Video' };

const ResultCard = memo(function ResultCard({
  card,
  dimmed,
  highlighted,
  fallback,
  eager,
  onToggle,
}: {
  card: Card;
  dimmed: boolean;
  highlighted: boolean;
  /** The person's latest known crop, when this face has none. */
  fallback: string | null;
  eager: boolean;
  onToggle: (personId: string | null) => void;
}) {
  const { face } = card;
  const label = personLabel(face);
  const src = card.cropUrl ?? card.thumb ?? fallback;
  return (
    <article
      className={`card${dimmed ? ' dim' : ''}${highlighted ? ' highlighted' : ''}`}
      data-testid="result-card"
      data-person-id={face.personId ?? ''}
      data-new={card.startedNew ? 'true' : 'false'}
      data-frames={card.frames}
      data-first-seen={card.firstAt}
      data-last-seen={card.at}
      data-sighting-id={face.sightingId ?? ''}
      style={{ ['--c' as string]: personColor(face.personId, face.personNumber) }}
      onClick={() => onToggle(face.personId)}
    >
      <div className="crop">
        {src ? (
          <img src={src} alt={`Face of ${label}`} loading={eager ? 'eager' : 'lazy'} decoding="async" />
        ) : (
          <FaceIcon className="crop-placeholder" />
        )}
      </div>
      <div className="card-body">
        <button
          type="button"
          className="badge"
          data-testid="person-badge"
          aria-pressed={highlighted}
          title={face.personId ? `Highlight ${label}` : 'This face was not stored'}
          disabled={!face.personId}
          onClick={(e) => {
            e.stopPropagation();
            onToggle(face.personId);
          }}
        >
          {label}
        </button>
        <span
          className={`match${card.startedNew && card.bestSimilarity === null ? ' new' : ''}`}
          data-testid="similarity"
        >
          {cardMatchText(card)}
        </span>
        <span className="card-meta">
          {card.frames > 1 ? (
            <>
              <time dateTime={card.firstAt}>{clockTime(card.firstAt)}</time>
              <span aria-hidden="true">–</span>
            </>
          ) : null}
          <time dateTime={card.at}>{clockTime(card.at)}</time>
          <span aria-hidden="true"> · </span>
          {SOURCE_TEXT[card.source]}
        </span>
      </div>
    </article>
  );
});

/** Cards this close to the top load their crop at once (lazy images may never load in a headless browser). */
const EAGER_CARDS = 48;

export function ResultsPanel(props: {
  cards: Card[];
  highlight: string | null;
  cap: number;
  cropOf: (personId: string | null) => string | null;
  onToggle: (personId: string | null) => void;
  onClear: () => void;
}) {
  const { cards, highlight } = props;
  const highlightedLabel = highlight ? cards.find((c) => c.face.personId === highlight) : undefined;
  return (
    <section className="panel results" aria-labelledby="results-title">
      <div className="panel-head">
        <div>
          <h2 id="results-title">Recognitions {cards.length ? <span className="count">{cards.length}</span> : null}</h2>
          <p className="muted small">
            {highlightedLabel
              ? `Showing ${personLabel(highlightedLabel.face)}. Click again to show everyone.`
              : cards.length >= props.cap
                ? `The latest ${props.cap}; older ones drop off.`
                : 'Newest first. Click a person to highlight them.'}
          </p>
        </div>
        <button type="button" className="btn btn-ghost btn-small" onClick={props.onClear} disabled={!cards.length}>
          Clear
        </button>
      </div>
      {cards.length === 0 ? (
        <div className="empty">
          <FaceIcon className="empty-icon" />
          <p className="empty-title">No faces yet</p>
          <p className="muted small">Start the camera or drop a photo: every face Glimpse finds shows up here.</p>
        </div>
      ) : (
        <div className="cards">
          {cards.map((c, i) => (
            <ResultCard
              key={c.key}
              card={c}
              dimmed={isDimmed(highlight, c.face.personId)}
              highlighted={highlight != null && c.face.personId === highlight}
              fallback={c.cropUrl || c.thumb ? null : props.cropOf(c.face.personId)}
              eager={i < EAGER_CARDS}
              onToggle={props.onToggle}
            />
          ))}
        </div>
      )}
    </section>
  );
}
