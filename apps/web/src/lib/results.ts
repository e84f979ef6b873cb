import { matchText } from './format';
import type { ApiFace } from './types';

export const DEFAULT_RESULTS_CAP = 200;

export type ResultSource = 'camera' | 'photo' | 'video';

/**
 * One recognition card: a face, when it was seen, and where it came from. A stream face that belongs to a
 * sighting (`face.sightingId`) shares one card with every other frame of that sighting, updated in place.
 */
export interface ResultCard {
  key: string;
  /** The latest face of the card. */
  face: ApiFace;
  /** ISO time: the frame's capture time for streams, the upload time for photos; the last one seen. */
  at: string;
  /** ISO time the card's first face was seen. */
  firstAt: string;
  /** Its first face was a new person ("first time seen"), whatever later frames say. */
  startedNew: boolean;
  /** Frames the card's person was seen in (1 for a photo). */
  frames: number;
  /** The best crop so far: stored stream faces are the sighting's improving ones, so the latest stored one. */
  cropUrl: string | null;
  /** The highest similarity of any of its faces. */
  bestSimilarity: number | null;
  /** The last frame counted (stream sequence number), so a re-delivered frame is not counted twice. */
  seq?: number;
  source: ResultSource;
  /** A local thumbnail (data URL) when the server stored no crop (`store=false`). */
  thumb?: string;
}

export interface ResultsState {
  /** Newest first, never longer than `cap`. */
  cards: ResultCard[];
  /** The person whose cards and boxes are highlighted, or null. */
  highlight: string | null;
  cap: number;
  /** How many cards were ever added (keys stay unique after clears). */
  added: number;
}

export type ResultsAction =
  | { type: 'add'; faces: ApiFace[]; at: string; source: ResultSource; thumbs?: (string | undefined)[]; seq?: number }
  | { type: 'clear' }
  | { type: 'highlight'; personId: string | null }
  | { type: 'toggleHighlight'; personId: string | null }
  | { type: 'removePerson'; personId: string };

export function initialResults(cap = DEFAULT_RESULTS_CAP): ResultsState {
  return { cards: [], highlight: null, cap, added: 0 };
}

/**
 * Pure reducer for the results list. New faces go on top; the list is cut to `cap` so a camera left
 * running for hours keeps bounded memory. A face id already listed (a re-delivered message) is skipped.
 * A face of a sighting already listed updates that card where it is instead of adding one.
 */
export function resultsReducer(state: ResultsState, action: ResultsAction): ResultsState {
  switch (action.type) {
    case 'add': {
      if (action.faces.length === 0) return state;
      const known = new Set(state.cards.map((c) => c.face.faceId).filter((id): id is string => !!id));
      let cards = state.cards;
      let added = state.added;
      const fresh: ResultCard[] = [];
      action.faces.forEach((face, i) => {
        if (face.faceId && known.has(face.faceId)) return;
        if (face.faceId) known.add(face.faceId);
        const key = face.sightingId ? `sighting:${face.sightingId}` : null;
        const at = key ? cards.findIndex((c) => c.key === key) : -1;
        if (at >= 0) {
          const next = [...cards];
          next[at] = seen(cards[at], face, action);
          cards = next;
          return;
        }
        added += 1;
        const card = newCard(key ?? face.faceId ?? `local-${added}`, face, action, action.thumbs?.[i]);
        const twin = fresh.findIndex((c) => c.key === card.key);
        if (twin >= 0) fresh[twin] = seen(fresh[twin], face, action);
        else fresh.push(card);
      });
      if (fresh.length === 0 && cards === state.cards) return state;
      // faces of one frame keep their order; the frame as a whole goes above older ones
      return { ...state, cards: [...fresh, ...cards].slice(0, state.cap), added };
    }
    case 'clear':
      return { ...state, cards: [], highlight: null };
    case 'highlight':
      return state.highlight === action.personId ? state : { ...state, highlight: action.personId };
    case 'toggleHighlight': {
      const next = action.personId && state.highlight !== action.personId ? action.personId : null;
      return next === state.highlight ? state : { ...state, highlight: next };
    }
    case 'removePerson': {
      const cards = state.cards.filter((c) => c.face.personId !== action.personId);
      const highlight = state.highlight === action.personId ? null : state.highlight;
      return cards.length === state.cards.length && highlight === state.highlight
        ? state
        : { ...state, cards, highlight };
    }
  }
}

type AddAction = Extract<ResultsAction, { type: 'add' }>;

function newCard(key: string, face: ApiFace, a: AddAction, thumb: string | undefined): ResultCard {
  return {
    key,
    face,
    at: a.at,
    firstAt: a.at,
    startedNew: face.isNew,
    frames: 1,
    cropUrl: face.cropUrl,
    bestSimilarity: face.similarity,
    seq: a.seq,
    source: a.source,
    thumb,
  };
}

/** The card after one more face of its sighting: a new frame counts once, however many of its faces. */
function seen(card: ResultCard, face: ApiFace, a: AddAction): ResultCard {
  const newFrame = a.seq === undefined || card.seq === undefined || a.seq > card.seq;
  const later = a.at >= card.at;
  return {
    ...card,
    face: later ? face : card.face,
    at: later ? a.at : card.at,
    firstAt: a.at < card.firstAt ? a.at : card.firstAt,
    frames: card.frames + (newFrame ? 1 : 0),
    seq: a.seq === undefined ? card.seq : Math.max(a.seq, card.seq ?? a.seq),
    cropUrl: face.cropUrl ?? card.cropUrl,
    bestSimilarity: best(card.bestSimilarity, face.similarity),
  };
}

const best = (x: number | null, y: number | null): number | null => (x === null ? y : y === null ? x : Math.max(x, y));

/** Whether a face is dimmed under the current highlight. */
export const isDimmed = (highlight: string | null, personId: string | null): boolean =>
  highlight != null && personId !== highlight;

/**
 * "Similarity 87%" for one face; for a sighting seen in several frames "12 frames · best similarity 91%",
 * and "First time seen · 12 frames" while no later frame matched (a new person's first frames).
 */
export function cardMatchText(card: Pick<ResultCard, 'face' | 'frames' | 'bestSimilarity' | 'startedNew'>): string {
  if (card.frames <= 1) return matchText(card.face);
  if (card.bestSimilarity !== null) return `${card.frames} frames · best similarity ${card.bestSimilarity}%`;
  return card.startedNew ? `First time seen · ${card.frames} frames` : `${card.frames} frames`;
}
