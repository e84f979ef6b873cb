import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { GlimpseError } from '@glimpse/platform';
import type { PersonTimeline, SightingGet, SightingsList, z } from '@glimpse/contracts';
import { Clock } from './clock';
import { MATCHER_CONFIG, type MatcherConfig } from './config';
import { Database, type Tx } from './database/database';
import { sightingEvent, type PersonInfo } from './events/event-factory';
import { EventRelay } from './events/event-relay';
import { OutboxRepository, type OutboxEvent } from './events/outbox.repository';
import { FaceRepository } from './face.repository';
import { optionalDate, pageOf } from './paging';
import { Periodic } from './periodic';
import { SightingRepository } from './sighting.repository';

export type SightingsConfig = Pick<
  MatcherConfig,
  'SIGHTING_QUIET_MS' | 'SIGHTING_UPDATE_THROTTLE_MS' | 'SIGHTING_SWEEP_INTERVAL_MS' | 'STORE_STREAM_FACES'
>;

/** One matched face of a stream frame, as the matcher hands it over inside its transaction. */
export interface StreamFace {
  person: PersonInfo;
  /** The person was created for this face. */
  isNew: boolean;
  source: string;
  seenAt: Date;
  score: number;
  /** Stores the face (encoding and crop) and returns its id; null when the face is too poor to keep. */
  store: () => Promise<string | null>;
}

/** Per request: sightings already counted for this frame, so two faces of one person count one frame. */
export type FrameSightings = Set<string>;

/**
 * Turns per-frame results into sightings: the first frame of a person in a stream starts one, later frames
 * within the quiet time update it (frame count, last seen, best crop), and the sweeper ends it once the
 * person has not been seen for the quiet time. Decides which stream faces are stored (STORE_STREAM_FACES).
 */
@Injectable()
export class SightingService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(SightingService.name);
  private readonly sweeper: Periodic;

  constructor(
    @Inject(MATCHER_CONFIG) private readonly config: SightingsConfig,
    private readonly db: Database,
    private readonly sightings: SightingRepository,
    private readonly faces: FaceRepository,
    private readonly outbox: OutboxRepository,
    private readonly relay: EventRelay,
    private readonly clock: Clock,
  ) {
    this.sweeper = new Periodic('sighting sweep', config.SIGHTING_SWEEP_INTERVAL_MS, () => this.sweep(), this.log);
  }

  /** Sightings left open by a previous run are ended at once if they are stale. */
  onApplicationBootstrap(): void {
    this.sweeper.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.sweeper.stop();
  }

  /**
   * Records one stream face in its person's sighting, inside the caller's transaction (which holds the
   * MATCHING lock). Returns the stored face id (null when this frame's face was not kept) and the events.
   */
  async track(
    tx: Tx,
    f: StreamFace,
    counted: FrameSightings,
  ): Promise<{ faceId: string | null; sightingId?: string; events: OutboxEvent[] }> {
    const now = this.clock.now();
    const open = f.isNew
      ? null
      : await this.sightings.findOpen(
          tx,
          f.person.id,
          f.source,
          new Date(f.seenAt.getTime() - this.config.SIGHTING_QUIET_MS),
        );
    const improves = !open || f.score > open.bestScore;
    const keep = f.isNew || improves || this.config.STORE_STREAM_FACES === 'all';
    const faceId = keep ? await f.store() : null;
    const best = improves && faceId ? { faceId, score: f.score } : undefined;

    if (!open) {
      const s = await this.sightings.create(tx, {
        personId: f.person.id,
        source: f.source,
        seenAt: f.seenAt,
        bestFaceId: faceId,
        // a face too poor to keep holds no place: the next kept face becomes the best crop
        bestScore: faceId ? f.score : 0,
        announcedAt: now,
      });
      counted.add(s.id);
      return { faceId, sightingId: s.id, events: [sightingEvent('sighting.started', s, f.person, now)] };
    }
    const announce = now.getTime() - open.announcedAt.getTime() >= this.config.SIGHTING_UPDATE_THROTTLE_MS;
    const addFrames = counted.has(open.id) ? 0 : 1;
    counted.add(open.id);
    const s = await this.sightings.update(tx, open.id, {
      seenAt: f.seenAt,
      addFrames,
      best,
      announcedAt: announce ? now : undefined,
    });
    return { faceId, sightingId: s.id, events: announce ? [sightingEvent('sighting.updated', s, f.person, now)] : [] };
  }

  /** Ends sightings quiet for longer than SIGHTING_QUIET_MS; returns how many. */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.config.SIGHTING_QUIET_MS);
    if (!(await this.sightings.anyQuiet(cutoff))) return 0;
    const ended = await this.db.transaction(async (tx) => {
      await this.faces.lockForMatching(tx);
      const rows = await this.sightings.endQuiet(tx, cutoff);
      await this.outbox.add(
        tx,
        rows.map((s) => sightingEvent('sighting.ended', s, s.person, now)),
      );
      return rows.length;
    });
    if (ended) this.relay.kick();
    return ended;
  }

  async list(req: z.output<typeof SightingsList.request>): Promise<SightingsList.Reply> {
    return pageOf(
      req,
      await this.sightings.list({ ...req, since: optionalDate(req.since), until: optionalDate(req.until) }),
    );
  }

  async timeline(req: z.output<typeof PersonTimeline.request>): Promise<PersonTimeline.Reply> {
    const found = await this.sightings.timeline({
      ...req,
      from: req.from ? new Date(req.from) : undefined,
      to: req.to ? new Date(req.to) : undefined,
    });
    if (!found) throw new GlimpseError('NOT_FOUND', `no person ${req.personId}`);
    return { ...found, page: req.page, pageSize: req.pageSize };
  }

  async get(req: SightingGet.Request): Promise<SightingGet.Reply> {
    const s = await this.sightings.get(req.id);
    if (!s) throw new GlimpseError('NOT_FOUND', `no sighting ${req.id}`);
    return s;
  }
}
