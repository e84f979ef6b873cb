import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import {
  FaceCrop,
  FaceMove,
  FaceReject,
  FacesList,
  PersonDelete,
  PersonEnroll,
  PersonGet,
  PersonMerge,
  PersonRename,
  PersonsList,
  ReviewDifferent,
  similarity,
  type Person,
  type z,
} from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';
import { CannotLinkRepository } from './cannot-link.repository';
import { Clock } from './clock';
import { MATCHER_CONFIG, type MatcherConfig } from './config';
import { Database, type Tx } from './database/database';
import { ErasureService } from './erasure.service';
import {
  faceMoved,
  faceRejected,
  personCreated,
  personDeleted,
  personEnrolled,
  personMerged,
  personRenamed,
} from './events/event-factory';
import { EventRelay } from './events/event-relay';
import { OutboxRepository, type OutboxEvent } from './events/outbox.repository';
import { FaceRepository, type FaceRef } from './face.repository';
import { optionalDate, pageOf } from './paging';
import { Periodic } from './periodic';
import { PersonRepository, type PersonRef } from './person.repository';
import { SightingRepository } from './sighting.repository';

export const ENROLL_SOURCE = 'enroll';
const DAY_MS = 86_400_000;
/** Nearest faces looked at per enrolled face to find other persons it resembles. */
const SIMILAR_K = 10;
const RETENTION_BATCH = 200;

export type PersonsConfig = Pick<
  MatcherConfig,
  | 'THRESHOLD'
  | 'HNSW_EF_SEARCH'
  | 'ENROLL_MIN_FACE_PX'
  | 'ENROLL_MIN_SHARPNESS'
  | 'RETENTION_UNNAMED_DAYS'
  | 'RETENTION_INTERVAL_MS'
>;

type DeleteReason = 'request' | 'retention' | 'emptied';

/**
 * The person catalogue: lists, enrollment, rename, merge, moving faces, deletion (privacy erasure) and
 * retention. Every change takes the MATCHING lock and writes its events in the same transaction.
 */
@Injectable()
export class PersonService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(PersonService.name);
  private readonly retention: Periodic;

  constructor(
    @Inject(MATCHER_CONFIG) private readonly config: PersonsConfig,
    private readonly db: Database,
    private readonly faces: FaceRepository,
    private readonly persons: PersonRepository,
    private readonly sightings: SightingRepository,
    private readonly outbox: OutboxRepository,
    private readonly relay: EventRelay,
    private readonly erasure: ErasureService,
    private readonly clock: Clock,
    private readonly links: CannotLinkRepository,
  ) {
    this.retention = new Periodic('retention', config.RETENTION_INTERVAL_MS, () => this.applyRetention(), this.log);
  }

  onApplicationBootstrap(): void {
    if (this.config.RETENTION_UNNAMED_DAYS > 0) this.retention.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.retention.stop();
  }

  async list(req: z.output<typeof PersonsList.request>): Promise<PersonsList.Reply> {
    return pageOf(
      req,
      await this.persons.list({
        ...req,
        seenSince: optionalDate(req.seenSince),
        seenBefore: optionalDate(req.seenBefore),
      }),
    );
  }

  async get(req: PersonGet.Request): Promise<PersonGet.Reply> {
    return (await this.persons.get(req.id)) ?? notFound('person', req.id);
  }

  async listFaces(req: z.output<typeof FacesList.request>): Promise<FacesList.Reply> {
    const { items, total } = await this.faces.list(req);
    return { items, total, page: req.page, pageSize: req.pageSize };
  }

  async faceCrop(req: FaceCrop.Request): Promise<FaceCrop.Reply> {
    const jpeg = (await this.faces.crop(req.id)) ?? notFound('face', req.id);
    return { id: req.id, jpeg: Buffer.from(jpeg).toString('base64') };
  }

  async rename(req: z.output<typeof PersonRename.request>): Promise<PersonRename.Reply> {
    return this.change(async (tx, events) => {
      const p = (await this.persons.find(tx, req.id)) ?? notFound('person', req.id);
      if (p.name !== req.name) {
        const version = await this.persons.rename(tx, p.id, req.name);
        events.push(personRenamed({ ...p, name: req.name }, p.name, version, this.clock.now()));
      }
      return this.summary(tx, p.id);
    });
  }

  async merge(req: z.output<typeof PersonMerge.request>): Promise<PersonMerge.Reply> {
    return this.change(async (tx, events) => {
      const target = (await this.persons.find(tx, req.targetId)) ?? notFound('person', req.targetId);
      const source = (await this.persons.find(tx, req.sourceId)) ?? notFound('person', req.sourceId);
      const link = await this.links.between(tx, target.id, source.id);
      if (link) {
        throw new GlimpseError(
          'CONFLICT',
          `persons #${target.number} and #${source.number} are different people (faces ${link.faceA} and ${link.faceB} were marked so): not merging them`,
        );
      }
      const m = await this.persons.merge(tx, target, source);
      const moved = { faces: m.faces, sightings: m.sightings };
      events.push(personMerged({ ...target, name: m.name }, source, moved, m.version, this.clock.now()));
      return {
        person: await this.summary(tx, target.id),
        sourceId: source.id,
        movedFaces: m.faces,
        movedSightings: m.sightings,
      };
    });
  }

  async moveFace(req: FaceMove.Request): Promise<FaceMove.Reply> {
    let erased = false;
    const reply = await this.change(async (tx, events) => {
      const face = (await this.faces.find(tx, req.faceId)) ?? notFound('face', req.faceId);
      const from = face.personId;
      if (req.toPersonId === from) {
        return {
          faceId: face.id,
          fromPersonId: from,
          person: await this.summary(tx, from),
          createdPerson: false,
          fromPersonDeleted: false,
        };
      }
      const existing = req.toPersonId
        ? ((await this.persons.find(tx, req.toPersonId)) ?? notFound('person', req.toPersonId))
        : null;
      if (existing && (await this.links.forbiddenPersons({ faceIds: [face.id] }, tx)).has(existing.id)) {
        throw new GlimpseError(
          'CONFLICT',
          `face ${face.id} was marked as not person #${existing.number}: not moving it there`,
        );
      }
      const moved = await this.moveIn(tx, face, existing, events);
      erased = moved.erased;
      return {
        faceId: face.id,
        fromPersonId: from,
        person: await this.summary(tx, moved.to.id),
        createdPerson: !existing,
        fromPersonDeleted: moved.emptied,
      };
    });
    if (erased) this.erasure.schedule();
    return reply;
  }

  /**
   * "Not this person": the face moves to a new person of its own and is cannot-linked with every face its
   * old person keeps. The caller names that person, so a stale page cannot reject the wrong pairing.
   */
  async rejectFace(req: FaceReject.Request): Promise<FaceReject.Reply> {
    return this.change(async (tx, events) => {
      const face = (await this.faces.find(tx, req.faceId)) ?? notFound('face', req.faceId);
      if (face.personId !== req.personId) {
        throw new GlimpseError(
          'CONFLICT',
          `face ${face.id} does not belong to person ${req.personId} (any more): reload and try again`,
        );
      }
      if ((await this.faces.countOf(tx, face.personId)) < 2) {
        throw new GlimpseError(
          'CONFLICT',
          `face ${face.id} is its person's only face: rename or delete the person instead`,
        );
      }
      const moved = await this.moveIn(tx, face, null, events);
      const cannotLinks = await this.links.linkFaceToPerson(tx, face.id, req.personId);
      events.push(faceRejected(face.id, req.personId, moved.to, moved.version, cannotLinks, this.clock.now()));
      return { faceId: face.id, fromPersonId: req.personId, person: await this.summary(tx, moved.to.id), cannotLinks };
    });
  }

  /** "Different people": cannot-links between every pair of the persons, so none of them joins another. */
  async markDifferent(req: z.output<typeof ReviewDifferent.request>): Promise<ReviewDifferent.Reply> {
    return this.change(async (tx) => {
      for (const id of req.personIds) (await this.persons.find(tx, id)) ?? notFound('person', id);
      const cannotLinks = await this.links.linkPersons(tx, req.personIds);
      return { personIds: req.personIds, cannotLinks };
    });
  }

  /** Moves one face to `existing` or to a new person, with its events; deletes the person it leaves empty. */
  private async moveIn(tx: Tx, face: FaceRef, existing: PersonRef | null, events: OutboxEvent[]) {
    const from = face.personId;
    const now = this.clock.now();
    const to = existing ?? (await this.persons.create(tx, face.capturedAt));
    await this.faces.moveTo(tx, face.id, to.id);
    await this.sightings.forgetBestFace(tx, face.id);
    await this.persons.touch(tx, to.id, face.capturedAt);
    const version = await this.persons.bump(tx, to.id);
    if (!existing) {
      events.push(
        personCreated(to, { createdAt: now, origin: 'face-move', source: face.source, faceIds: [face.id] }, now),
      );
    }
    events.push(faceMoved(face.id, from, to, version, now));
    const emptied = (await this.faces.countOf(tx, from)) === 0;
    let erased = false;
    if (emptied) erased = (await this.deleteIn(tx, from, 'emptied', events)) !== null;
    else await this.persons.bump(tx, from);
    return { to, version, emptied, erased };
  }

  /** Refuses the whole request when any face is below the quality thresholds, before writing anything. */
  async enroll(req: z.output<typeof PersonEnroll.request>): Promise<PersonEnroll.Reply> {
    req.faces.forEach((f, i) => this.checkQuality(f.quality, i, req.faces.length));
    return this.change(async (tx, events) => {
      const now = this.clock.now();
      const existing = req.personId
        ? ((await this.persons.find(tx, req.personId)) ?? notFound('person', req.personId))
        : null;
      const person = existing ?? (await this.persons.create(tx, now, req.name ?? null));
      const similar = new Map<string, PersonEnroll.Reply['similarPersons'][number]>();
      const faceIds: string[] = [];
      for (const f of req.faces) {
        for (const n of await this.faces.nearest(tx, f.encoding, SIMILAR_K, this.config.HNSW_EF_SEARCH)) {
          if (n.personId === person.id || n.distance >= this.config.THRESHOLD) continue;
          const seen = similar.get(n.personId);
          if (!seen || n.distance < seen.distance) {
            similar.set(n.personId, {
              personId: n.personId,
              personNumber: n.personNumber,
              personName: n.personName,
              distance: n.distance,
              similarity: similarity(n.distance, this.config.THRESHOLD),
            });
          }
        }
        faceIds.push(
          await this.faces.insert(tx, {
            personId: person.id,
            encoding: f.encoding,
            box: f.box,
            source: ENROLL_SOURCE,
            frameSeq: 0,
            capturedAt: now,
            crop: Buffer.from(f.crop, 'base64'),
          }),
        );
      }
      if (existing) {
        events.push(personEnrolled(person, await this.persons.bump(tx, person.id), faceIds, now));
      } else {
        events.push(
          personCreated(person, { createdAt: now, origin: 'enrollment', source: ENROLL_SOURCE, faceIds }, now),
        );
      }
      return {
        person: await this.summary(tx, person.id),
        created: !existing,
        faceIds,
        similarPersons: [...similar.values()].sort((a, b) => a.distance - b.distance),
      };
    });
  }

  async delete(req: PersonDelete.Request, reason: DeleteReason = 'request'): Promise<PersonDelete.Reply> {
    const deleted = await this.change((tx, events) => this.deleteIn(tx, req.id, reason, events));
    if (!deleted) notFound('person', req.id);
    this.erasure.schedule();
    return { id: req.id, deletedFaces: deleted.deletedFaces };
  }

  /** Deletes unnamed persons not seen for RETENTION_UNNAMED_DAYS; returns how many. */
  async applyRetention(): Promise<number> {
    if (this.config.RETENTION_UNNAMED_DAYS <= 0) return 0;
    const cutoff = new Date(this.clock.now().getTime() - this.config.RETENTION_UNNAMED_DAYS * DAY_MS);
    let total = 0;
    for (;;) {
      const ids = await this.persons.unnamedNotSeenSince(cutoff, RETENTION_BATCH);
      for (const id of ids) {
        // One transaction each: the lock is released between persons, so matching goes on meanwhile.
        if (await this.change((tx, events) => this.deleteIn(tx, id, 'retention', events))) total++;
      }
      if (ids.length < RETENTION_BATCH) break;
    }
    if (total) {
      this.log.log(`retention: deleted ${total} unnamed persons not seen since ${cutoff.toISOString()}`);
      this.erasure.schedule();
    }
    return total;
  }

  /**
   * Erases a person inside `tx`: faces (encodings, crops), sightings and aliases go with the row; their
   * unpublished events are dropped and the published ones (also those under merged-in ids) are erased
   * from the stream before `person.deleted` is published. Null when there is no such person.
   */
  private async deleteIn(
    tx: Tx,
    id: string,
    reason: DeleteReason,
    events: OutboxEvent[],
  ): Promise<{ deletedFaces: number } | null> {
    const aliases = await this.persons.aliases(tx, id);
    const deleted = await this.persons.delete(tx, id);
    if (!deleted) return null;
    const ids = [id, ...aliases];
    // Events collected earlier in this transaction about these persons must not be published either.
    for (let i = events.length - 1; i >= 0; i--) if (ids.includes(events[i].personId)) events.splice(i, 1);
    await this.outbox.add(tx, events.splice(0)); // keep the order: what happened before the erasure goes first
    await this.outbox.erase(tx, ids, `person.erase:${id}`);
    events.push(personDeleted(id, reason, deleted.deletedFaces, this.clock.now()));
    return deleted;
  }

  /** One locked transaction whose collected events are written with it; wakes the relay after commit. */
  private async change<T>(fn: (tx: Tx, events: OutboxEvent[]) => Promise<T>): Promise<T> {
    const events: OutboxEvent[] = [];
    const result = await this.db.transaction(async (tx) => {
      await this.faces.lockForMatching(tx);
      const r = await fn(tx, events);
      await this.outbox.add(tx, events);
      return r;
    });
    this.relay.kick();
    return result;
  }

  private async summary(tx: Tx, id: string): Promise<Person> {
    return (await this.persons.summary(id, tx)) ?? notFound('person', id);
  }

  private checkQuality(q: PersonEnroll.Request['faces'][number]['quality'], index: number, count: number): void {
    const prefix = count > 1 ? `face ${index + 1} of ${count}: ` : '';
    if (q.faceWidth < this.config.ENROLL_MIN_FACE_PX) {
      throw new GlimpseError(
        'INVALID_IMAGE',
        `${prefix}face too small: ${q.faceWidth} px wide, need at least ${this.config.ENROLL_MIN_FACE_PX}`,
      );
    }
    if (q.sharpness < this.config.ENROLL_MIN_SHARPNESS) {
      throw new GlimpseError(
        'INVALID_IMAGE',
        `${prefix}face too blurred: sharpness ${round1(q.sharpness)}, need at least ${this.config.ENROLL_MIN_SHARPNESS}`,
      );
    }
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function notFound(what: string, id: string): never {
  throw new GlimpseError('NOT_FOUND', `no ${what} ${id}`);
}
