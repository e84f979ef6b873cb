import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import {
  FaceCrop,
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
  SightingGet,
  SightingsList,
} from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { Database } from './database/database';
import { EventRelay } from './events/event-relay';
import { MatcherService } from './matcher.service';
import { PersonService } from './person.service';
import { SightingService } from './sighting.service';
import { INSTANCE_ID } from './tokens';

export { INSTANCE_ID };

const HEALTH_TIMEOUT_MS = 2000;

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
    // No queue group: every instance answers, so a scatter-gather sees each one.
    b.handle(HealthCheck.contractFor('matcher'), () => this.health());
    const subjects: string[] = [MatchFaces, FaceSearch, PersonsList, PersonGet, PersonDelete, PersonRename, PersonMerge]
      .map((c) => c.subject as string)
      .concat([PersonEnroll, FaceMove, FacesList, FaceCrop, SightingsList, SightingGet].map((c) => c.subject));
    this.log.log(`handling ${subjects.join(', ')} (queue ${queue})`);
  }

  async health(): Promise<HealthCheck.Reply> {
    const database = await this.db.ping(HEALTH_TIMEOUT_MS).then(
      () => ({ ok: true, detail: this.db.detail }),
      (err: unknown) => ({ ok: false, detail: `${this.db.detail}: ${err instanceof Error ? err.message : String(err)}` }),
    );
    const events = this.relay.health();
    return { service: 'matcher', instance: this.instance, ok: database.ok && events.ok, checks: { database, events } };
  }
}
