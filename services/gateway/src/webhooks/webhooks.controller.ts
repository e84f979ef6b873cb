import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { uuidSchema, z } from '@glimpse/contracts';
import { RequireScope } from '../auth/access';
import { ZodPipe } from '../zod.pipe';
import { createWebhookSchema, statsSchema, type CreateWebhook } from './webhook.model';
import { WebhooksService } from './webhooks.service';
import { JsonBody } from '../http/body';
import { Doc } from '../openapi/doc';

const idPipe = new ZodPipe(uuidSchema);
const webhook = z.strictObject({
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.string()),
  createdAt: z.iso.datetime(),
  active: z.boolean(),
});

@Controller('api/v1/webhooks')
@RequireScope('admin')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  /** 201 with the webhook, never its secret. */
  @Doc({
    tag: 'admin',
    summary: 'Register a webhook (admin scope)',
    description: 'Events are POSTed signed with `secret` (HMAC-SHA256); the answer never shows it.',
    status: 201,
    reply: webhook,
    errors: [...[400, 503, 504], 415],
  })
  @Post()
  @JsonBody({ limitBytes: 16 * 1024 })
  create(@Body(new ZodPipe(createWebhookSchema)) body: CreateWebhook) {
    return this.webhooks.create(body);
  }

  @Doc({
    tag: 'admin',
    summary: 'Webhooks (admin scope)',
    reply: z.strictObject({ items: z.array(webhook), total: z.number().int() }),
    errors: [400, 503, 504],
  })
  @Get()
  list() {
    return this.webhooks.list();
  }

  /** The webhook with its delivery stats: delivered, failed attempts, last error, pending events. */
  @Doc({
    tag: 'admin',
    summary: 'A webhook with its delivery stats (admin scope)',
    reply: webhook.extend({ stats: statsSchema.extend({ pending: z.number().int().nullable() }) }),
    errors: [...[400, 503, 504], 404],
  })
  @Get(':id')
  get(@Param('id', idPipe) id: string) {
    return this.webhooks.get(id);
  }

  @Doc({
    tag: 'admin',
    summary: 'Delete a webhook (admin scope)',
    status: 204,
    reply: null,
    errors: [...[400, 503, 504], 404],
  })
  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id', idPipe) id: string): Promise<void> {
    await this.webhooks.delete(id);
  }
}
