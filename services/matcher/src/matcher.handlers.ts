import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { FaceCrop, HealthCheck, MatchFaces, PersonDelete, PersonGet, PersonsList } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { Database } from './database/database';
import { MatcherService } from './matcher.service';

export const INSTANCE_ID = Symbol('InstanceId');

const HEALTH_TIMEOUT_MS = 2000;

/** The matcher's NATS surface; payloads are validated against the contracts by the bus. */
@Injectable()
export class MatcherHandlers implements OnApplicationBootstrap {
  private readonly log = new Logger(MatcherHandlers.name);

  constructor(
    @InjectBus() private readonly bus: Bus,
    private readonly matcher: MatcherService,
    private readonly db: Database,
    @Inject(INSTANCE_ID) private readonly instance: string,
  ) {}

  onApplicationBootstrap(): void {
    const queue = 'matcher';
    this.bus.handle(MatchFaces.contract, (req) => this.matcher.matchFaces(req), { queue: MatchFaces.queue });
    this.bus.handle(PersonsList.contract, (req) => this.matcher.listPersons(req), { queue: PersonsList.queue });
    this.bus.handle(PersonGet.contract, (req) => this.matcher.getPerson(req), { queue: PersonGet.queue });
    this.bus.handle(PersonDelete.contract, (req) => this.matcher.deletePerson(req), { queue: PersonDelete.queue });
    this.bus.handle(FaceCrop.contract, (req) => this.matcher.faceCrop(req), { queue: FaceCrop.queue });
    // No queue group: every instance answers, so a scatter-gather sees each one.
    this.bus.handle(HealthCheck.contractFor('matcher'), () => this.health());
    this.log.log(`handling ${[MatchFaces, PersonsList, PersonGet, PersonDelete, FaceCrop].map((c) => c.subject).join(', ')} (queue ${queue})`);
  }

  async health(): Promise<HealthCheck.Reply> {
    const database = await this.db.ping(HEALTH_TIMEOUT_MS).then(
      () => ({ ok: true, detail: this.db.detail }),
      (err: unknown) => ({ ok: false, detail: `${this.db.detail}: ${err instanceof Error ? err.message : String(err)}` }),
    );
    return { service: 'matcher', instance: this.instance, ok: database.ok, checks: { database } };
  }
}
