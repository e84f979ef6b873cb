import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { BusModule } from '@glimpse/platform';
import { instanceIdOf, MATCHER_CONFIG, type MatcherConfig } from './config';
import { Database } from './database/database';
import { DatabaseLifecycle } from './database/database.lifecycle';
import { openDatabase } from './database/open-database';
import { FaceRepository } from './face.repository';
import { INSTANCE_ID, MatcherHandlers } from './matcher.handlers';
import { MatcherService } from './matcher.service';
import { PersonRepository } from './person.repository';

@Module({})
export class AppModule {
  static forRoot(config: MatcherConfig): DynamicModule {
    const instance = instanceIdOf(config);
    return {
      module: AppModule,
      imports: [BusModule.forRoot({ servers: config.NATS_URL, name: instance })],
      providers: [
        { provide: MATCHER_CONFIG, useValue: config },
        { provide: INSTANCE_ID, useValue: instance },
        { provide: Database, useFactory: () => openDatabase(config, new Logger('Database')) },
        DatabaseLifecycle,
        FaceRepository,
        PersonRepository,
        MatcherService,
        MatcherHandlers,
      ],
    };
  }
}
