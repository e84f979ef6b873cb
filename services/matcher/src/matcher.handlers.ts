import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import {
  CalibrationGet,
  FaceCrop,
  FaceReject,
  FaceMove,
  FaceSearch,
  FacesList,
  HealthCheck,
  MatchFaces,
  PersonDelete,
  PersonEnroll,
  PersonGet,
  PersonMerge,
  PersonRename,
  PersonsList,
  PersonTimeline,
  ReviewDifferent,
  ReviewList,
  SightingGet,
  SightingsList,
  ThresholdGet,
  ThresholdSet,
} from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { Database } from './database/database';
import { AuditService } from './audit/audit.service';
import { CalibrationService } from './calibration.service';
import { EventRelay } from './events/event-relay';
import { EventStream } from './events/event-stream';
import { MatcherService } from './matcher.service';
import { PersonService } from './person.service';
import { ReviewService } from './review.service';
import { SettingsService } from './settings.service';
import { SightingService } from './sighting.service';
import { INSTANCE_ID } from './tokens';

export { INSTANCE_ID };

const HEALTH_TIMEOUT_MS = 2000;
const JETSTREAM_HEALTH_TIMEOUT_MS = 1500;

/** The matcher's NATS surface; payloads are validated against the contracts by the bus. */
@Injectable()
export class MatcherHandlers implements OnApplicationBootstrap {
  private readonly log = new Logger(MatcherHandlers.name);

  constructor(
    @InjectBus() private readonly bus: Bus,
    private readonly matcher: MatcherService,
    private readonly persons: PersonService,
    private readonly sightings: SightingService,
    private readonly relay: EventRelay,
    private readonly db: Database,
    @Inject(INSTANCE_ID) private readonly instance: string,
    private readonly review: ReviewService,
    private readonly calibration: CalibrationService,
    private readonly settings: SettingsService,
    private readonly stream: EventStream,
    private readonly audit: AuditService,
  ) {}

  onApplicationBootstrap(): void {
    const queue = 'matcher';
    const b = this.bus;
    b.handle(MatchFaces.contract, (req) => this.matcher.matchFaces(req), { queue: MatchFaces.queue });
    b.handle(FaceSearch.contract, (req) => this.matcher.search(req), { queue: FaceSearch.queue });
    b.handle(PersonsList.contract, (req) => this.persons.list(req), { queue: PersonsList.queue });
    b.handle(PersonGet.contract, (req) => this.persons.get(req), { queue: PersonGet.queue });
    b.handle(PersonDelete.contract, (req) => this.persons.delete(req), { queue: PersonDelete.queue });
    b.handle(PersonRename.contract, (req) => this.persons.rename(req), { queue: PersonRename.queue });
    b.handle(PersonMerge.contract, (req) => this.persons.merge(req), { queue: PersonMerge.queue });
    b.handle(PersonEnroll.contract, (req) => this.persons.enroll(req), { queue: PersonEnroll.queue });
    b.handle(FaceMove.contract, (req) => this.persons.moveFace(req), { queue: FaceMove.queue });
    b.handle(FacesList.contract, (req) => this.persons.listFaces(req), { queue: FacesList.queue });
    b.handle(FaceCrop.contract, (req) => this.persons.faceCrop(req), { queue: FaceCrop.queue });
    b.handle(SightingsList.contract, (req) => this.sightings.list(req), { queue: SightingsList.queue });
    b.handle(SightingGet.contract, (req) => this.sightings.get(req), { queue: SightingGet.queue });
    b.handle(PersonTimeline.contract, (req) => this.sightings.timeline(req), { queue: PersonTimeline.queue });
    b.handle(FaceReject.contract, (req) => this.persons.rejectFace(req), { queue: FaceReject.queue });
    b.handle(ReviewDifferent.contract, (req) => this.persons.markDifferent(req), { queue: ReviewDifferent.queue });
    b.handle(ReviewList.contract, (req) => this.review.list(req), { queue: ReviewList.queue });
    b.handle(CalibrationGet.contract, (req) => this.calibration.calibrate(req), { queue: CalibrationGet.queue });
    b.handle(ThresholdGet.contract, async () => this.settings.get(), { queue: ThresholdGet.queue });
    b.handle(ThresholdSet.contract, (req) => this.settings.set(req), { queue: ThresholdSet.queue });
    // No queue group: every instance answers, so a scatter-gather sees each one.
    b.handle(HealthCheck.contractFor('matcher'), () => this.health());
    const subjects: string[] = [MatchFaces, FaceSearch, PersonsList, PersonGet, PersonDelete, PersonRename, PersonMerge]
      .map((c) => c.subject as string)
      .concat(
        [PersonEnroll, FaceMove, FacesList, FaceCrop, SightingsList, SightingGet, PersonTimeline].map((c) => c.subject),
      )
      .concat(
        [FaceReject, ReviewDifferent, ReviewList, CalibrationGet, ThresholdGet, ThresholdSet].map((c) => c.subject),
      );
    this.log.log(`handling ${subjects.join(', ')} (queue ${queue})`);
  }

  async health(): Promise<HealthCheck.Reply> {
    const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));
    // Both probes at once, the JetStream one shorter, so the reply stays within the gateway's health timeout.
    const [database, jetstream] = await Promise.all([
      this.db.ping(HEALTH_TIMEOUT_MS).then(
        () => ({ ok: true, detail: this.db.detail }),
        (err: unknown) => ({ ok: false, detail: `${this.db.detail}: ${reason(err)}` }),
      ),
      this.stream.describe(JETSTREAM_HEALTH_TIMEOUT_MS).then(
        (check) => check,
        (err: unknown) => ({ ok: false, detail: `JetStream unavailable (${reason(err)}): events wait in the outbox` }),
      ),
    ]);
    const events = this.relay.health();
    const nats = { ok: this.bus.isConnected(), detail: this.bus.serverDetail() };
    const ok = database.ok && events.ok && nats.ok && jetstream.ok;
    const audit = this.audit.health();
    return { service: 'matcher', instance: this.instance, ok, checks: { database, events, nats, jetstream, audit } };
  }
}
