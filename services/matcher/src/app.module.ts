import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { BusModule, natsConnectionSettings } from '@glimpse/platform';
import { CalibrationRepository } from './calibration.repository';
import { CalibrationService } from './calibration.service';
import { CannotLinkConstraints } from './cannot-link.constraints';
import { CannotLinkRepository } from './cannot-link.repository';
import { AuditRepository } from './audit/audit.repository';
import { AuditService } from './audit/audit.service';
import { Clock } from './clock';
import { CropCipher } from './crops/crop-cipher';
import { CropRotationService } from './crops/crop-rotation.service';
import { instanceIdOf, MATCHER_CONFIG, type MatcherConfig } from './config';
import { Database } from './database/database';
import { DatabaseLifecycle } from './database/database.lifecycle';
import { MATCH_CONSTRAINTS } from './decision/constraints';
import { Decider } from './decision/decider';
import { openDatabase } from './database/open-database';
import { ErasureService } from './erasure.service';
import { EventRelay } from './events/event-relay';
import { EventStream } from './events/event-stream';
import { OutboxRepository } from './events/outbox.repository';
import { FaceRepository } from './face.repository';
import { FrameLedgerRepository } from './frame-ledger.repository';
import { FrameSettleService } from './frame-settle.service';
import { MatcherHandlers } from './matcher.handlers';
import { MatcherMetricsLifecycle } from './matcher.metrics';
import { MatcherService } from './matcher.service';
import { PersonRepository } from './person.repository';
import { PersonService } from './person.service';
import { EventHistoryReader } from './privacy/event-history';
import { PersonExportService } from './privacy/person-export.service';
import { PrivacyHandlers } from './privacy/privacy.handlers';
import { ReviewRepository } from './review.repository';
import { ReviewService } from './review.service';
import { SettingsRepository } from './settings.repository';
import { SettingsService } from './settings.service';
import { SightingRepository } from './sighting.repository';
import { SightingService } from './sighting.service';
import { INSTANCE_ID } from './tokens';

@Module({})
export class AppModule {
  static forRoot(config: MatcherConfig): DynamicModule {
    const instance = instanceIdOf(config);
    return {
      module: AppModule,
      imports: [
        BusModule.forRoot({ servers: config.NATS_URL, name: instance, connection: natsConnectionSettings(config) }),
      ],
      providers: [
        { provide: MATCHER_CONFIG, useValue: config },
        { provide: INSTANCE_ID, useValue: instance },
        { provide: Database, useFactory: () => openDatabase(config, new Logger('Database')) },
        DatabaseLifecycle,
        Clock,
        CropCipher,
        CropRotationService,
        PrivacyHandlers,
        PersonExportService,
        EventHistoryReader,
        AuditRepository,
        AuditService,
        FaceRepository,
        FrameLedgerRepository,
        FrameSettleService,
        // "not this person" links: a new face takes those of the stored face it is closest to
        { provide: MATCH_CONSTRAINTS, useClass: CannotLinkConstraints },
        Decider,
        PersonRepository,
        SightingRepository,
        OutboxRepository,
        EventStream,
        EventRelay,
        ErasureService,
        SightingService,
        PersonService,
        MatcherService,
        MatcherHandlers,
        CannotLinkRepository,
        ReviewRepository,
        ReviewService,
        CalibrationRepository,
        CalibrationService,
        SettingsRepository,
        SettingsService,
        MatcherMetricsLifecycle,
      ],
    };
  }
}
