import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, StreamableFile } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CropsRotate, PrivacyGet, uuidSchema, z } from '@glimpse/contracts';
import { Bus, InjectBus } from '@glimpse/platform';
import { noteAudit } from '../audit/audit.interceptor';
import { RequireScope } from '../auth/access';
import { upstream } from '../upstream';
import { JsonBody } from '../http/body';
import { ZodPipe } from '../zod.pipe';
import { PersonExportBuilder } from './person-export.service';
import { Doc } from '../openapi/doc';
import { Audited, AuditCount } from '../audit/audit.routes';

const idPipe = new ZodPipe(uuidSchema);

/** Privacy operations (docs/privacy.md): crop key rotation, subject access exports. */
@Controller('api/v1')
export class PrivacyController {
  constructor(
    @InjectBus() private readonly bus: Bus,
    private readonly exports: PersonExportBuilder,
  ) {}

  /** How this Glimpse treats face data: the recognition mode, crop encryption, retention (the web page shows the mode). */
  @Doc({
    tag: 'privacy',
    summary: 'How this Glimpse treats face data: recognition mode (remember or watchlist), crop encryption, retention',
    reply: PrivacyGet.reply,
    errors: [503, 504],
  })
  @Get('privacy')
  @RequireScope('read')
  async settings() {
    return upstream(this.bus.request(PrivacyGet.contract, {}));
  }

  /** One batch of crop key rotation; `npm run crops -- rotate-key` repeats it until `remaining` is 0. */
  @Doc({
    tag: 'privacy',
    summary: 'Re-seal up to `limit` face crops with the current crop key (admin scope)',
    description:
      'Crops that are plaintext or sealed with an older key (CROP_KEY lists it after the current one) are re-sealed; repeat until `remaining` is 0 (`npm run crops -- rotate-key` does). See docs/privacy.md.',
    reply: CropsRotate.reply,
    errors: [400, 415, 503, 504],
  })
  @Audited(AuditCount.none)
  @Post('crops/rotate-key')
  @RequireScope('admin')
  @HttpCode(200)
  @JsonBody({ optional: true })
  async rotateKey(
    @Body(new ZodPipe(CropsRotate.request, { emptyBody: {} })) body: z.infer<typeof CropsRotate.request>,
  ) {
    return upstream(this.bus.request(CropsRotate.contract, body));
  }

  /** Everything stored about one person, crops opened, as a zip ("Download everything"). */
  @Doc({
    tag: 'privacy',
    summary: 'Subject access: everything stored about a person, as a zip',
    description:
      '`person.json` (the person, faces with box, source and time, sightings, events in GLIMPSE_EVENTS, and the access history) and every crop, opened, as `crops/<face id>.jpg`. Encodings are not included. See docs/privacy.md.',
    reply: {
      description: 'A ZIP archive',
      content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } },
    },
    errors: [400, 404, 503, 504],
  })
  @Audited(AuditCount.none)
  @Get('persons/:id/export')
  @RequireScope('read')
  async export(
    @Param('id', idPipe) id: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const { filename, zip, faces } = await this.exports.build(id);
    noteAudit(req, { personIds: [id], faces });
    res.setHeader('Cache-Control', 'no-store');
    return new StreamableFile(zip, {
      type: 'application/zip',
      length: zip.length,
      disposition: `attachment; filename="${filename}"`,
    });
  }
}
