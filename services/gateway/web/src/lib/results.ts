import type { ApiFace } from './types';

export const DEFAULT_RESULTS_CAP = 200;

export type ResultSource = 'camera' | 'photo' | 'video';

/** One recognition card: a face, when it was seen, and where it came from. */
export interface ResultCard {
  key: string;
  face: ApiFace;
  /** ISO time: the frame's capture time for streams, the upload time for photos. */
  at: string;
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
  | { type: 'add'; faces: ApiFace[]; at: string; source: ResultSource; thumbs?: (string | undefined)[] }
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
 */
export function resultsReducer(state: ResultsState, action: ResultsAction): ResultsState {
  switch (action.type) {
    case 'add': {
      if (action.faces.length === 0) return state;
      const known = new Set(state.cards.map((c) => c.face.faceId).filter((id): id is string => !!id));
      let added = state.added;
      const fresh: ResultCard[] = [];
      action.faces.forEach((face, i) => {
        if (face.faceId && known.has(face.faceId)) return;
        if (face.faceId) known.add(face.faceId);
        added += 1;
        fresh.push({ key: face.faceId ?? `local-${added}`, face, at: action.at, source: action.source, thumb: action.thumbs?.[i] });
      });
      if (fresh.length === 0) return state;
      // faces of one frame keep their order; the frame as a whole goes above older ones
      const cards = [...fresh, ...state.cards].slice(0, state.cap);
      return { ...state, cards, added };
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
      return cards.length === state.cards.length && highlight === state.highlight ? state : { ...state, cards, highlight };
    }
  }
}

/** Whether a face is dimmed under the current highlight. */
export const isDimmed = (highlight: string | null, personId: string | null): boolean =>
  highlight != null && personId !== highlight;
