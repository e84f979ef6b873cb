import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, StreamableFile } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CropsRotate, PrivacyGet, uuidSchema } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { noteAudit } from '../audit/audit.interceptor';
import { RequireScope } from '../auth/access';
import { upstream } from '../upstream';
import { validate, ZodPipe } from '../zod.pipe';
import { PersonExportBuilder } from './person-export.service';

const idPipe = new ZodPipe(uuidSchema);

/** Privacy operations (docs/privacy.md): crop key rotation, subject access exports. */
@Controller('api/v1')
export class PrivacyController {
  constructor(
    @InjectBus() private readonly bus: Bus,
    private readonly exports: PersonExportBuilder,
  ) {}

  /** How this Glimpse treats face data: the recognition mode, crop encryption, retention (the web page shows the mode). */
  @Get('privacy')
  @RequireScope('read')
  async settings() {
    return upstream(this.bus.request(PrivacyGet.contract, {}));
  }

  /** One batch of crop key rotation; `npm run crops -- rotate-key` repeats it until `remaining` is 0. */
  @Post('crops/rotate-key')
  @RequireScope('admin')
  @HttpCode(200)
  async rotateKey(@Body() body: unknown) {
    return upstream(this.bus.request(CropsRotate.contract, validate(CropsRotate.request, body ?? {}, 'body')));
  }

  /** Everything stored about one person, crops opened, as a zip ("Download everything"). */
  @Get('persons/:id/export')
  @RequireScope('read')
  async export(@Param('id', idPipe) id: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const { filename, zip, faces } = await this.exports.build(id);
    noteAudit(req, { personIds: [id], faces });
    res.setHeader('Cache-Control', 'no-store');
    return new StreamableFile(zip, { type: 'application/zip', length: zip.length, disposition: `attachment; filename="${filename}"` });
  }
}
