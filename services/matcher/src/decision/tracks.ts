import type { PersonCandidate, Verdict } from './rule';

/**
 * Live-video tracks (docs/identity.md, "Tracks"): the worker names each face of a stream with a track id
 * (the same face followed across snapshots); the matcher decides a track by its faces together. State is
 * in memory only: a restart (or a frame served by another matcher instance) just decides per frame.
 */
export interface TrackParams {
  /** How many of a track's latest faces are pooled. */
  faces: number;
  /** A track without a face for this long is forgotten (the next face starts afresh). */
  idleMs: number;
  /** At most this many tracks are kept (least recently seen forgotten first). */
  maxTracks: number;
  /** Good faces a track that has been unsure needs before it may start a person. */
  minGoodAfterUnsure: number;
}

interface Sample {
  encoding: readonly number[];
  good: boolean;
}

interface TrackState {
  samples: Sample[];
  /** The person this track was matched to or created; a track never gets a second new person. */
  personId: string | null;
  wasUnsure: boolean;
  seenAt: number;
}

/** A face's track evidence: what the decider compares with the persons instead of the face alone. */
export interface Pooled {
  encoding: number[];
  /** May the pooled evidence start a person. */
  good: boolean;
  /** The person the track already has, if any. */
  personId: string | null;
}

/** What one decided face of a track adds to it; applied only once its frame is committed. */
export interface TrackUpdate {
  key: string;
  sample: Sample;
  personId: string | null;
  unsure: boolean;
  at: number;
}

export class TrackPool {
  private readonly tracks = new Map<string, TrackState>();

  constructor(private readonly p: TrackParams) {}

  static key(source: string, track: string): string {
    return `${source}\u0000${track}`;
  }

  /** The pooled evidence of `key`'s recent faces plus this one (nothing stored yet). */
  pool(key: string, face: Sample, now: number): Pooled {
    const state = this.live(key, now);
    const samples = [...(state?.samples ?? []), face].slice(-this.p.faces);
    const goodCount = samples.filter((s) => s.good).length;
    const needed = state?.wasUnsure ? this.p.minGoodAfterUnsure : 1;
    return {
      encoding: pooledMean(samples),
      // the face itself must be good too: a person is started from (and stores) this face
      good: face.good && goodCount >= needed,
      personId: state?.personId ?? null,
    };
  }

  /**
   * Records a committed face of a track. The track's person is set by a good face's match or new person:
   * a poor face may match the wrong person (that is what makes it poor) and must not bind its track.
   */
  apply(u: TrackUpdate): void {
    const prev = this.live(u.key, u.at);
    const state: TrackState = prev ?? { samples: [], personId: null, wasUnsure: false, seenAt: u.at };
    state.samples = [...state.samples, u.sample].slice(-this.p.faces);
    if (u.sample.good && u.personId) state.personId = u.personId;
    state.wasUnsure ||= u.unsure;
    state.seenAt = u.at;
    this.tracks.delete(u.key); // re-inserted last: Map order is the LRU order
    this.tracks.set(u.key, state);
    this.evict(u.at);
  }

  get size(): number {
    return this.tracks.size;
  }

  private live(key: string, now: number): TrackState | undefined {
    const state = this.tracks.get(key);
    if (state && now - state.seenAt > this.p.idleMs) {
      this.tracks.delete(key);
      return undefined;
    }
    return state;
  }

  private evict(now: number): void {
    for (const [key, state] of this.tracks) {
      if (this.tracks.size <= this.p.maxTracks && now - state.seenAt <= this.p.idleMs) break;
      this.tracks.delete(key);
    }
  }
}

/**
 * Mean of the good faces' encodings, or of all where none is good; never empty (the face itself is in it).
 * A poor face's encoding lies as far from its own sharp self as a stranger's (docs/identity.md), so even
 * a small weight pulled pooled evidence towards look-alikes on the fixture passes.
 */
export function pooledMean(samples: readonly Sample[]): number[] {
  const good = samples.filter((s) => s.good);
  const used = good.length ? good : samples;
  const out = new Array<number>(used[0].encoding.length).fill(0);
  for (const s of used) s.encoding.forEach((v, i) => (out[i] += v));
  return out.map((v) => v / used.length);
}

/**
 * A track keeps its person: a face of a track matched to P stays P unless the pooled evidence matches
 * another person clearly (a `match` verdict for someone else), and is never a second new person. P must be
 * among the face's candidates (close enough to be considered) and not given to another face of the frame.
 */
export function stickToTrack(
  verdict: Verdict,
  pooled: Pooled | undefined,
  taken: ReadonlySet<string>,
  candidates: CandidateLookup,
): Verdict {
  const personId = pooled?.personId;
  if (!personId || verdict.kind === 'match') return verdict;
  const own = taken.has(personId) ? undefined : candidates(personId);
  if (own) return { kind: 'match', person: own };
  // no second person for one track: not safely P, not safely someone new either
  return verdict.kind === 'new' ? { kind: 'unsure', guess: null } : verdict;
}

export type CandidateLookup = (personId: string) => PersonCandidate | undefined;
