import { Controller, HttpCode, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { z } from '@glimpse/contracts';
import { RecognizeService } from './recognize.service';
import { uploadedImage } from './upload';
import { ZodPipe } from './zod.pipe';
import { RequireScope } from './auth/access';

const boolParam = z
  .enum(['true', 'false', '1', '0'], { message: "expected 'true' or 'false'" })
  .transform((v) => v === 'true' || v === '1');

export const recognizeQuery = z.strictObject({
  store: boolParam.default(true),
  threshold: z.coerce.number().gt(0).lt(2).optional(),
});

/** Bodies are parsed before these handlers by `imageBodyParser` (see app.ts). */
@Controller('api/v1')
export class RecognizeController {
  constructor(private readonly recognizer: RecognizeService) {}

  @Post('recognize')
  @RequireScope('write')
  @HttpCode(200)
  recognize(@Req() req: Request, @Query(new ZodPipe(recognizeQuery)) query: z.infer<typeof recognizeQuery>) {
    return this.recognizer.recognize(uploadedImage(req), query);
  }

  @Post('encode')
  @RequireScope('write')
  @HttpCode(200)
  encode(@Req() req: Request, @Query(new ZodPipe(z.strictObject({}))) _query: object) {
    return this.recognizer.encode(uploadedImage(req));
  }
}
