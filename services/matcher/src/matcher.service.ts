import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import {
  FaceSearch,
  MatchFaces,
  RecognitionEvent,
  similarity,
  UPLOAD_SOURCE,
  type Box,
  type RecognizedFace,
  type z,
} from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus } from '@glimpse/platform';
import { Clock } from './clock';
import { MATCHER_CONFIG, type MatcherConfig } from './config';
import { cropScore } from './crop-score';
import { Database, type Tx } from './database/database';
import { Decider, type FaceDecision } from './decision/decider';
import type { PersonCandidate } from './decision/rule';
import { TrackPool, type Pooled, type TrackUpdate } from './decision/tracks';
import { personCreated } from './events/event-factory';
import { EventRelay } from './events/event-relay';
import { OutboxRepository, type OutboxEvent } from './events/outbox.repository';
import { FaceRepository, type NearestFace } from './face.repository';
import { ABANDONED, FrameLedgerRepository } from './frame-ledger.repository';
import { Periodic } from './periodic';
import { PersonRepository, type PersonRef } from './person.repository';
import { SightingService, type FrameSightings } from './sighting.service';
import { nobody } from './decision/nobody';
import { blurBystanders } from './privacy/bystander-blur';
import { watchlistVerdict, type WatchlistVerdict } from './privacy/watchlist';

type QueryFace = MatchFaces.Request['faces'][number];

/** How many stored faces a search looks at per wanted person, so one person's many faces cannot crowd out others. */
const SEARCH_FACES_PER_PERSON = 10;
const SEARCH_MAX_FACES = 1000;
/** Tracks kept at most (least recently seen forgotten first); far more than one matcher's cameras show at once. */
const MAX_TRACKS = 10_000;
/** A track that was unsure starts a person only from this many good faces. */
const MIN_GOOD_AFTER_UNSURE = 2;

type TrackConfig = Partial<Pick<MatcherConfig, 'MATCH_TRACKS' | 'MATCH_TRACK_FACES' | 'MATCH_TRACK_IDLE_MS'>>;

/** Frame ids are kept this long: far longer than any sender retries a frame. */
export const FRAME_LEDGER_KEEP_MS = 24 * 3600_000;
const FRAME_LEDGER_PRUNE_MS = 3600_000;

/** Assigns faces to persons (and sightings), and searches without storing. */
@Injectable()
export class MatcherService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(MatcherService.name);
  private readonly pruner: Periodic;
  /** Null when MATCH_TRACKS is off: every frame on its own. */
  private readonly tracks: TrackPool | null;

  constructor(
    @Inject(MATCHER_CONFIG)
    private readonly config: Pick<MatcherConfig, 'THRESHOLD' | 'MATCH_K' | 'HNSW_EF_SEARCH'> &
      TrackConfig &
      Partial<Pick<MatcherConfig, 'RECOGNITION_MODE' | 'BLUR_UNKNOWN'>>,
    private readonly db: Database,
    private readonly faces: FaceRepository,
    private readonly persons: PersonRepository,
    private readonly sightings: SightingService,
    private readonly outbox: OutboxRepository,
    private readonly relay: EventRelay,
    private readonly clock: Clock,
    @InjectBus() private readonly bus: Bus,
    private readonly ledger: FrameLedgerRepository,
    private readonly decider: Decider,
  ) {
    this.pruner = new Periodic(
      'frame ledger pruning',
      FRAME_LEDGER_PRUNE_MS,
      () => this.ledger.prune(FRAME_LEDGER_KEEP_MS),
      this.log,
    );
    this.tracks = config.MATCH_TRACKS
      ? new TrackPool({
          faces: config.MATCH_TRACK_FACES ?? 10,
          idleMs: config.MATCH_TRACK_IDLE_MS ?? 10_000,
          maxTracks: MAX_TRACKS,
          minGoodAfterUnsure: MIN_GOOD_AFTER_UNSURE,
        })
      : null;
  }

  onApplicationBootstrap(): void {
    this.pruner.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.pruner.stop();
  }

  /**
   * The faces of a frame are decided together (two faces of one frame are never one person; see
   * Decider), then stored in one transaction. Events are written in that transaction too, and so is the
   * frame id: a frame sent again (a retry after a lost reply) gets its first reply and changes nothing.
   */
  async matchFaces(req: MatchFaces.Request): Promise<MatchFaces.Reply> {
    if (req.faces.length === 0) return { faces: [] };
    const frameId = req.store ? req.frame.id : undefined;
    const events: OutboxEvent[] = [];
    // applied after commit: a rolled-back frame must not steer its track
    const trackUpdates: TrackUpdate[] = [];
    const { faces, replayed } = await this.db.transaction(async (tx) => {
      if (req.store) await this.faces.lockForMatching(tx);
      // After the lock: a retry racing its first attempt waits for that commit, then finds it here.
      const recorded = frameId ? await this.ledger.find(tx, frameId) : null;
      if (recorded === ABANDONED) {
        throw new GlimpseError(
          'CONFLICT',
          `frame ${frameId} was given up by its requester before it was stored; not storing it now`,
        );
      }
      if (recorded) return { faces: recorded.faces, replayed: true };
      const counted: FrameSightings = new Set();
      const now = this.clock.now().getTime();
      const keys = this.trackKeys(req);
      const pooled = keys.map((key, i) => (key ? this.pool(key, req.faces[i], now) : undefined));
      const { decisions, threshold } = await this.decider.decide(tx, req.faces, req.threshold, pooled);
      const verdicts = decisions.map((d) => this.inMode(d.verdict));
      const frame = { events, counted, bystanders: this.bystanders(req.faces, verdicts) };
      const out: RecognizedFace[] = [];
      for (const [i, face] of req.faces.entries()) {
        out.push(await this.apply(tx, req, face, { ...decisions[i], verdict: verdicts[i], threshold }, frame));
        const key = keys[i];
        if (key) trackUpdates.push(trackUpdate(key, face, decisions[i], out[i], now));
      }
      await this.outbox.add(tx, events);
      if (frameId) await this.ledger.record(tx, frameId, { faces: out });
      return { faces: out, replayed: false };
    });
    if (replayed) {
      this.log.log(
        `frame ${req.frame.source}#${req.frame.seq} (${frameId}) was already stored: answering its recorded reply`,
      );
      return { faces };
    }
    for (const u of trackUpdates) this.tracks?.apply(u);
    if (req.store) this.announce(req.frame, faces);
    if (events.length) this.relay.kick();
    return { faces };
  }

  /** Per face, its track's key where the frame is a stored stream frame with worker tracks; else null. */
  private trackKeys(req: MatchFaces.Request): Array<string | null> {
    const on = this.tracks && req.store && req.frame.source !== UPLOAD_SOURCE;
    return req.faces.map((f) => (on && f.track ? TrackPool.key(req.frame.source, f.track) : null));
  }

  private pool(key: string, face: QueryFace, now: number): Pooled | undefined {
    return this.tracks?.pool(key, { encoding: face.encoding, good: this.decider.isGood(face) }, now);
  }

  /** 1:N search: the k nearest persons by their closest face, stored or not within the threshold. */
  async search(req: z.output<typeof FaceSearch.request>): Promise<FaceSearch.Reply> {
    const threshold = req.threshold ?? this.config.THRESHOLD;
    const n = Math.min(SEARCH_MAX_FACES, Math.max(req.k * SEARCH_FACES_PER_PERSON, this.config.MATCH_K));
    const nearest = await this.db.transaction((tx) =>
      this.faces.nearest(tx, req.encoding, n, Math.max(this.config.HNSW_EF_SEARCH, n)),
    );
    const best = new Map<string, NearestFace>();
    for (const f of nearest) if (!best.has(f.personId)) best.set(f.personId, f); // nearest() is closest first
    const results = [...best.values()].slice(0, req.k).map((f) => ({
      personId: f.personId,
      personNumber: f.personNumber,
      personName: f.personName,
      faceId: f.faceId,
      distance: f.distance,
      similarity: similarity(f.distance, threshold),
      match: f.distance < threshold,
    }));
    return { threshold, results };
  }

  /**
   * After commit, so subscribers never hear of a face that was rolled back. The faces are stored by now,
   * so a failed publish (e.g. NATS draining at shutdown) is logged rather than failing the request.
   */
  private announce(frame: MatchFaces.Request['frame'], faces: RecognizedFace[]): void {
    try {
      this.bus.publish(RecognitionEvent.contract, [frame.source], { frame, faces });
    } catch (err) {
      this.log.warn(`recognition event for ${frame.source}#${frame.seq} not published: ${String(err)}`);
    }
  }

  /** watchlist mode (docs/privacy.md): only named persons match; for anyone else nothing is stored. */
  private inMode(verdict: FaceDecision['verdict']): WatchlistVerdict {
    return this.config.RECOGNITION_MODE === 'watchlist' ? watchlistVerdict(verdict) : verdict;
  }

  /** BLUR_UNKNOWN: the frame's faces that are no match with a named person, to be blurred in stored crops. */
  private bystanders(faces: readonly QueryFace[], verdicts: readonly WatchlistVerdict[]): Box[] {
    if (!this.config.BLUR_UNKNOWN) return [];
    return faces.filter((_, i) => !namedMatch(verdicts[i])).map((f) => f.box);
  }

  /** Carries out one face's decision: a person created or touched, the face stored or not, sightings. */
  private async apply(
    tx: Tx,
    req: MatchFaces.Request,
    face: QueryFace,
    d: Omit<FaceDecision, 'verdict'> & { verdict: WatchlistVerdict; threshold: number },
    { events, counted, bystanders }: { events: OutboxEvent[]; counted: FrameSightings; bystanders: Box[] },
  ): Promise<RecognizedFace> {
    const { threshold, verdict } = d;
    if (verdict.kind === 'unknown') return nobody(face.box, { decision: 'unknown' });
    if (verdict.kind === 'unsure') return nobody(face.box, { decision: 'unsure', guess: verdict.guess, threshold });
    const hit = verdict.kind === 'match' ? verdict.person : undefined;
    if (!req.store) return hit ? matched(face.box, null, hit, threshold) : unmatched(face.box, null, null);

    const seenAt = new Date(req.frame.capturedAt);
    const person: PersonRef = hit
      ? { id: hit.personId, number: hit.personNumber, name: hit.personName }
      : await this.persons.create(tx, seenAt);
    if (hit) await this.persons.touch(tx, person.id, seenAt);
    const store = async (): Promise<string | null> => {
      // a poor face may be recognised, but it is no sample of the person: it is not stored
      if (!d.admit) return null;
      return this.faces.insert(tx, {
        personId: person.id,
        encoding: face.encoding,
        box: face.box,
        source: req.frame.source,
        frameSeq: req.frame.seq,
        capturedAt: seenAt,
        crop: await blurBystanders(Buffer.from(face.crop, 'base64'), face.box, face.cropBox, bystanders),
      });
    };

    let faceId: string | null;
    let sightingId: string | undefined;
    let sightingEvents: OutboxEvent[] = [];
    // an upload is a picture, not a sighting: every (admitted) face of it is stored
    if (req.frame.source === UPLOAD_SOURCE) {
      faceId = await store();
    } else {
      const score = cropScore(face.box, face.quality);
      const t = await this.sightings.track(
        tx,
        { person, isNew: !hit, source: req.frame.source, seenAt, score, store },
        counted,
      );
      faceId = t.faceId;
      sightingId = t.sightingId;
      sightingEvents = t.events;
    }
    if (!hit) events.push(this.created(person, seenAt, req.frame.source, faceId));
    events.push(...sightingEvents);
    const out = hit ? matched(face.box, faceId, hit, threshold) : unmatched(face.box, faceId, person);
    // the live page keeps one card per sighting
    return sightingId ? { ...out, sightingId } : out;
  }

  private created(person: PersonRef, seenAt: Date, source: string, faceId: string | null): OutboxEvent {
    const faceIds = faceId ? [faceId] : [];
    return personCreated(person, { createdAt: seenAt, origin: 'recognition', source, faceIds }, this.clock.now());
  }
}

const namedMatch = (v: WatchlistVerdict): boolean => v.kind === 'match' && v.person.personName !== null;

function trackUpdate(key: string, face: QueryFace, d: FaceDecision, out: RecognizedFace, at: number): TrackUpdate {
  return {
    key,
    sample: { encoding: face.encoding, good: d.admit },
    personId: out.personId,
    // a poor face is unsure for its quality, not for doubt about who it is: that asks for no more evidence
    unsure: out.decision === 'unsure' && d.admit,
    at,
  };
}

function matched(box: Box, faceId: string | null, hit: PersonCandidate, threshold: number): RecognizedFace {
  return {
    faceId,
    box,
    personId: hit.personId,
    personNumber: hit.personNumber,
    personName: hit.personName,
    isNew: false,
    distance: hit.distance,
    similarity: similarity(hit.distance, threshold),
    decision: 'match',
  };
}

/** A face nobody matched: a new person when stored, nobody at all when not. */
function unmatched(box: Box, faceId: string | null, person: PersonRef | null): RecognizedFace {
  return {
    faceId,
    box,
    personId: person?.id ?? null,
    personNumber: person?.number ?? null,
    personName: person?.name ?? null,
    isNew: true,
    distance: null,
    similarity: null,
    decision: 'new',
  };
}
