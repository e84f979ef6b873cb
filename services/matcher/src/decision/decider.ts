import { Inject, Injectable } from '@nestjs/common';
import type { MatchFaces } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';
import { MATCHER_CONFIG, type MatcherConfig } from '../config';
import type { Tx } from '../database/database';
import { FaceRepository, type NearestFace } from '../face.repository';
import { MATCH_CONSTRAINTS, type MatchConstraints } from './constraints';
import { decideFrame, type FrameRule } from './frame';
import { stickToTrack, type Pooled } from './tracks';
import { acceptDistance, isGoodFace, type PersonCandidate, type Verdict } from './rule';

export type DeciderConfig = Pick<
  MatcherConfig,
  | 'MATCH_RULE'
  | 'THRESHOLD'
  | 'MATCH_K'
  | 'HNSW_EF_SEARCH'
  | 'MATCH_CANDIDATES'
  | 'MATCH_PERSON_FACES'
  | 'MATCH_DISTANCE'
  | 'MATCH_DISTANCE_SLOPE'
  | 'MATCH_REFERENCE_PERSONS'
  | 'MATCH_RATIO'
  | 'MATCH_AMBIGUOUS'
  | 'MATCH_UNSURE_BAND'
  | 'MATCH_MIN_FACE_PX'
  | 'MATCH_MIN_SHARPNESS'
  | 'MATCH_MAX_YAW'
>;

type QueryFace = MatchFaces.Request['faces'][number];

export interface FaceDecision {
  verdict: Verdict;
  /** Whether the face may be stored as a sample of its person (the gallery); poor faces are not. */
  admit: boolean;
}

/** Decides who each face of a frame is (docs/identity.md); reads the gallery, changes nothing. */
@Injectable()
export class Decider {
  constructor(
    @Inject(MATCHER_CONFIG) private readonly config: DeciderConfig,
    private readonly faces: FaceRepository,
    @Inject(MATCH_CONSTRAINTS) private readonly constraints: MatchConstraints,
  ) {}

  /**
   * `threshold`: a request's override of the accepted distance (both rules). `pooled`: per face, its
   * track's evidence (see tracks.ts), compared with the persons instead of the face alone.
   */
  async decide(
    tx: Tx,
    faces: readonly QueryFace[],
    threshold?: number,
    pooled: ReadonlyArray<Pooled | undefined> = [],
  ): Promise<{ decisions: FaceDecision[]; threshold: number }> {
    const nearest = this.config.MATCH_RULE === 'nearest';
    const encodings = faces.map((f, i) => pooled[i]?.encoding ?? f.encoding);
    const [candidates, excluded, persons] = await this.gather(tx, faces, encodings, nearest);
    const rule: FrameRule = nearest
      ? { threshold: threshold ?? this.config.THRESHOLD, ratio: Infinity, unsureBand: 0, ambiguous: 'new' }
      : {
          threshold: threshold ?? acceptDistance(persons, this.params()),
          ratio: this.config.MATCH_RATIO,
          unsureBand: this.config.MATCH_UNSURE_BAND,
          ambiguous: this.config.MATCH_AMBIGUOUS,
        };
    const good = faces.map((f) => this.isGood(f));
    const verdicts = decideFrame(
      faces.map((_, i) => ({ candidates: candidates[i], good: pooled[i]?.good ?? good[i], excluded: excluded[i] })),
      rule,
    );
    const tracked = withTracks(verdicts, pooled, candidates, excluded);
    // admitted to the gallery by the face's own quality: the face, not the pool, is what gets stored
    return { decisions: tracked.map((verdict, i) => ({ verdict, admit: good[i] })), threshold: rule.threshold };
  }

  /** Whether a face may start a person on its own (the quality gate; the nearest rule has none). */
  isGood(face: QueryFace): boolean {
    return this.config.MATCH_RULE === 'nearest' || isGoodFace(face.quality, this.gate());
  }

  private async gather(
    tx: Tx,
    faces: readonly QueryFace[],
    encodings: ReadonlyArray<readonly number[]>,
    nearest: boolean,
  ) {
    const candidates: PersonCandidate[][] = [];
    // one face at a time: they share the transaction's connection
    for (const e of encodings) candidates.push(await this.candidatesOf(tx, e, nearest));
    const excluded = await this.constraints.excludedPersons(tx, faces);
    if (excluded.length !== faces.length) {
      throw new GlimpseError(
        'INTERNAL',
        `match constraints answered for ${excluded.length} faces, not ${faces.length}`,
      );
    }
    const persons = nearest ? 0 : await this.faces.countPersons(tx);
    return [candidates, excluded, persons] as const;
  }

  /** Closest first. Nearest rule: a person's closest face; person rule: the centroid of their faces. */
  private async candidatesOf(tx: Tx, encoding: readonly number[], nearest: boolean): Promise<PersonCandidate[]> {
    const c = this.config;
    const hits = await this.faces.nearest(tx, encoding, c.MATCH_K, Math.max(c.HNSW_EF_SEARCH, c.MATCH_K));
    const closest = new Map<string, NearestFace>();
    for (const h of hits) if (!closest.has(h.personId) && closest.size < c.MATCH_CANDIDATES) closest.set(h.personId, h);
    const people = [...closest.values()];
    const toCandidate = (h: NearestFace, distance: number): PersonCandidate => ({
      personId: h.personId,
      personNumber: h.personNumber,
      personName: h.personName,
      faceId: h.faceId,
      distance,
    });
    if (nearest) return people.map((h) => toCandidate(h, h.distance));
    const rows = await this.faces.personDistances(
      tx,
      encoding,
      people.map((h) => h.personId),
      c.MATCH_PERSON_FACES,
    );
    const centroid = new Map(rows.map((r) => [r.personId, r.distance]));
    // a person gone between the two reads (deleted meanwhile) keeps their nearest face's distance
    return people
      .map((h) => toCandidate(h, centroid.get(h.personId) ?? h.distance))
      .sort((a, b) => a.distance - b.distance);
  }

  private params() {
    const c = this.config;
    return { distance: c.MATCH_DISTANCE, slope: c.MATCH_DISTANCE_SLOPE, referencePersons: c.MATCH_REFERENCE_PERSONS };
  }

  private gate() {
    const c = this.config;
    return { minFacePx: c.MATCH_MIN_FACE_PX, minSharpness: c.MATCH_MIN_SHARPNESS, maxYaw: c.MATCH_MAX_YAW };
  }
}

/** Each tracked face keeps its track's person where the frame allows it (stickToTrack). */
function withTracks(
  verdicts: readonly Verdict[],
  pooled: ReadonlyArray<Pooled | undefined>,
  candidates: readonly PersonCandidate[][],
  excluded: ReadonlyArray<ReadonlySet<string>>,
): Verdict[] {
  const taken = new Set(verdicts.flatMap((v) => (v.kind === 'match' ? [v.person.personId] : [])));
  return verdicts.map((v, i) => {
    const lookup = (id: string) => (excluded[i]?.has(id) ? undefined : candidates[i].find((c) => c.personId === id));
    const out = stickToTrack(v, pooled[i], taken, lookup);
    if (out.kind === 'match') taken.add(out.person.personId);
    return out;
  });
}
