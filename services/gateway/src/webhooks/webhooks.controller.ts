import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { uuidSchema } from '@glimpse/contracts';
import { RequireScope } from '../auth/access';
import { ZodPipe } from '../zod.pipe';
import { createWebhookSchema, type CreateWebhook } from './webhook.model';
import { WebhooksService } from './webhooks.service';

const idPipe = new ZodPipe(uuidSchema);

@Controller('api/v1/webhooks')
@RequireScope('admin')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  /** 201 with the webhook, never its secret. */
  @Post()
  create(@Body(new ZodPipe(createWebhookSchema)) body: CreateWebhook) {
    return this.webhooks.create(body);
  }

  @Get()
  list() {
    return this.webhooks.list();
  }

  /** The webhook with its delivery stats: delivered, failed attempts, last error, pending events. */
  @Get(':id')
  get(@Param('id', idPipe) id: string) {
    return this.webhooks.get(id);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id', idPipe) id: string): Promise<void> {
    await this.webhooks.delete(id);
  }
}
