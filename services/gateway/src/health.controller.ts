import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { HealthService, type HealthReport } from './health.service';
import { Public } from './auth/access';
import { Doc } from './openapi/doc';
import * as api from './api-schemas';

@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** 200 only when every part is up; the body says which part is not. */
  @Doc({
    tag: 'health',
    summary: 'Each dependency; 503 when one is down',
    reply: api.healthReply,
    more: { 503: api.healthReply },
    errors: [],
  })
  @Get('healthz')
  @Public()
  async healthz(@Res({ passthrough: true }) res: Response): Promise<HealthReport> {
    const report = await this.health.check();
    res.status(report.status === 'ok' ? 200 : 503);
    res.setHeader('Cache-Control', 'no-store');
    return report;
  }
}
