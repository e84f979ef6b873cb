import { Module, type DynamicModule } from '@nestjs/common';
import { WebhookStore } from './webhook-store';
import { WEBHOOKS_CONFIG, type WebhooksConfig } from './webhooks.config';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/**
 * Webhooks (issue #4): a registry in JetStream KV, one durable consumer per webhook, signed deliveries with
 * retries. Its settings are the gateway config's `webhooks` (WEBHOOK_*); needs the global BusModule.
 */
@Module({})
export class WebhooksModule {
  static forRoot(cfg: WebhooksConfig): DynamicModule {
    return {
      module: WebhooksModule,
      controllers: [WebhooksController],
      providers: [{ provide: WEBHOOKS_CONFIG, useValue: cfg }, WebhookStore, WebhooksService],
    };
  }
}
