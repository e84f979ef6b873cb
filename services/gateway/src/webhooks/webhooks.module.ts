import { Module } from '@nestjs/common';
import { WebhookStore } from './webhook-store';
import { loadWebhooksConfig, WEBHOOKS_CONFIG } from './webhooks.config';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/**
 * Webhooks (issue #4): a registry in JetStream KV, one durable consumer per webhook, signed deliveries with
 * retries. Reads its WEBHOOK_* variables itself (see webhooks.config.ts); needs the global BusModule.
 */
@Module({
  controllers: [WebhooksController],
  providers: [{ provide: WEBHOOKS_CONFIG, useFactory: () => loadWebhooksConfig() }, WebhookStore, WebhooksService],
})
export class WebhooksModule {}
