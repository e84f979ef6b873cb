import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Bus, InjectBus } from '@glimpse/platform';
import { Database } from './database';

/**
 * Closes the database only after the bus has drained, so in-flight matches commit first.
 * Nest does not promise an order between modules' shutdown hooks, so this drains the bus itself
 * (Bus.close is idempotent; BusModule's own call then finds it closed).
 */
@Injectable()
export class DatabaseLifecycle implements OnApplicationShutdown {
  private readonly log = new Logger('Database');
  constructor(
    @InjectBus() private readonly bus: Bus,
    private readonly db: Database,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
    await this.db.close();
    this.log.log(`closed ${this.db.detail}`);
  }
}
