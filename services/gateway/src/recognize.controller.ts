import { Controller, HttpCode, Post, Query } from '@nestjs/common';
import { z } from '@glimpse/contracts';
import { RecognizeService } from './recognize.service';
import { Image, ImageBody } from './http/body';
import { ZodPipe } from './zod.pipe';
import { RequireScope } from './auth/access';
import { Doc, IMG_ERRORS } from './openapi/doc';
import * as api from './api-schemas';
import { boolParam } from './library';
import { Audited, AuditCount } from './audit/audit.routes';

export const recognizeQuery = z.strictObject({
  store: boolParam.default(true),
  threshold: z.coerce.number().gt(0).lt(2).optional(),
  /** Also answer `annotated`: the picture with boxes and names (bystanders blurred under BLUR_UNKNOWN). */
  annotated: boolParam.default(false),
});

@Controller('api/v1')
export class RecognizeController {
  constructor(private readonly recognizer: RecognizeService) {}

  @Doc({
    tag: 'recognition',
    summary: 'Detect, match and (by default) store the faces of an image',
    description:
      "`annotated=true` adds `annotated`: the picture the recognizer saw (the upload, scaled down when it had to be) as a base64 JPEG with each face boxed and named; with BLUR_UNKNOWN every face that is no enrolled, named person's is blurred in it. See docs/privacy.md.",
    reply: api.recognizeReply,
    errors: IMG_ERRORS,
  })
  @Audited(AuditCount.facesOfReply)
  @Post('recognize')
  @RequireScope('write')
  @ImageBody()
  @HttpCode(200)
  recognize(@Image() image: Buffer, @Query(new ZodPipe(recognizeQuery)) query: z.infer<typeof recognizeQuery>) {
    return this.recognizer.recognize(image, query);
  }

  @Doc({
    tag: 'recognition',
    summary: 'Detect and encode faces; stores nothing',
    reply: api.encodeReply,
    errors: IMG_ERRORS,
  })
  @Audited(AuditCount.facesOfReply)
  @Post('encode')
  @RequireScope('write')
  @ImageBody()
  @HttpCode(200)
  encode(@Image() image: Buffer, @Query(new ZodPipe(z.strictObject({}))) _query: object) {
    return this.recognizer.encode(image);
  }
}
