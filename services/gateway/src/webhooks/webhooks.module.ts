import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { jsonBodyParser } from '../upload';
import { WebhookStore } from './webhook-store';
import { loadWebhooksConfig, WEBHOOKS_CONFIG } from './webhooks.config';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

const JSON_LIMIT_BYTES = 16 * 1024;

/**
 * Webhooks (issue #4): a registry in JetStream KV, one durable consumer per webhook, signed deliveries with
 * retries. Reads its WEBHOOK_* variables itself (see webhooks.config.ts); needs the global BusModule.
 */
@Module({
  controllers: [WebhooksController],
  providers: [{ provide: WEBHOOKS_CONFIG, useFactory: () => loadWebhooksConfig() }, WebhookStore, WebhooksService],
})
export class WebhooksModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // The app parses bodies per route (bodyParser: false); this is the JSON body of POST /api/v1/webhooks.
    consumer.apply(jsonBodyParser(JSON_LIMIT_BYTES, { subPaths: true })).forRoutes({ path: 'api/v1/webhooks', method: RequestMethod.POST });
  }
}
