import { Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { BusModule, natsConnectionSettings } from '@glimpse/platform';
import { AuditController } from './audit/audit.controller';
import { AuditInterceptor } from './audit/audit.interceptor';
import { AuditRecorder } from './audit/audit.recorder';
import { ApiKeysController, ApiKeyStore, AuthGuard, AuthService, AuthSessionController } from './auth/auth.module';
import { CamerasController, CamerasService } from './cameras.controller';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { IdentityController } from './identity.controller';
import { OpenViduModule } from './openvidu/openvidu.module';
import { FacesController } from './faces.controller';
import { FrameSender } from './frame-sender';
import { FramesRepository } from './frames.repository';
import { GatewayMetrics, GatewayMetricsLifecycle, HttpMetricsMiddleware } from './gateway.metrics';
import { LibraryService } from './library.service';
import { PersonsService } from './persons.service';
import { FacesService } from './faces.service';
import { PersonsController } from './persons.controller';
import { PrivacyController } from './privacy/privacy.controller';
import { PersonExportBuilder } from './privacy/person-export.service';
import { ProblemFilter } from './problem.filter';
import { RecognizeController } from './recognize.controller';
import { RecognizeService } from './recognize.service';
import { PrivacySettings } from './privacy/privacy-settings';
import { SearchController } from './search.controller';
import { LiveStreamWatch } from './sessions/live-watch.service';
import { SessionService } from './sessions/session.service';
import { SessionsController } from './sessions/sessions.controller';
import { WhipController } from './sessions/whip.controller';
import { WhipRelay } from './sessions/whip.service';
import { StreamsController } from './streams.controller';
import { StreamsService } from './streams.service';
import { WsGateway } from './ws.gateway';
import { LiveFaces } from './security/live-faces';
import { RateLimits } from './security/limits';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule implements NestModule {
  static forRoot(cfg: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // NATS_REPLICAS: the KV buckets (API keys, sessions, webhooks) follow it like capture's and the matcher's.
        BusModule.forRoot({
          servers: cfg.NATS_URL,
          name: cfg.INSTANCE_ID,
          requestTimeoutMs: cfg.REQUEST_TIMEOUT_MS,
          replicas: cfg.NATS_REPLICAS,
          connection: natsConnectionSettings(cfg),
        }),
        OpenViduModule.forRoot(cfg.openvidu, { requestTimeoutMs: cfg.REQUEST_TIMEOUT_MS }),
        WebhooksModule.forRoot(cfg.webhooks),
      ],
      controllers: [
        RecognizeController,
        PersonsController,
        FacesController,
        IdentityController,
        SearchController,
        StreamsController,
        CamerasController,
        HealthController,
        SessionsController,
        WhipController,
        ApiKeysController,
        AuthSessionController,
        PrivacyController,
        AuditController,
      ],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: cfg },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_GUARD, useClass: AuthGuard },
        // who read or wrote face data (docs/privacy.md): recorded off the request path
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
        AuditRecorder,
        ApiKeyStore,
        AuthService,
        RecognizeService,
        PrivacySettings,
        FramesRepository,
        FrameSender,
        LibraryService,
        PersonsService,
        FacesService,
        PersonExportBuilder,
        StreamsService,
        CamerasService,
        HealthService,
        SessionService,
        LiveStreamWatch,
        WhipRelay,
        WsGateway,
        LiveFaces,
        // one instance: HTTP (security/mount.ts) and /ws spend the same per-address budgets
        { provide: RateLimits, useFactory: (c: GatewayConfig) => new RateLimits(c), inject: [GATEWAY_CONFIG] },
        { provide: GatewayMetrics, useFactory: () => new GatewayMetrics() },
        GatewayMetricsLifecycle,
      ],
    };
  }

  /** Every request is timed by route template (GET /metrics is served on its own port, not here). */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
