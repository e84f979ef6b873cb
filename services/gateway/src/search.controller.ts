import { Controller, HttpCode, Post, Query } from '@nestjs/common';
import { z } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';
import { displayName, searchQuery, verifyQuery } from './library';
import { LibraryService } from './library.service';
import { Files, Image, ImageBody, ImagesForm } from './http/body';
import type { UploadedFile } from './upload';
import { ZodPipe } from './zod.pipe';
import { RequireScope } from './auth/access';
import { Doc, IMG_ERRORS } from './openapi/doc';
import * as api from './api-schemas';
import { Audited, AuditCount } from './audit/audit.routes';

function oneFile(files: UploadedFile[], field: 'a' | 'b'): UploadedFile {
  const [file] = files;
  if (!file)
    throw new GlimpseError(
      'INVALID_REQUEST',
      `multipart body has no file in the '${field}' field: send two images, 'a' and 'b'`,
    );
  return { ...file, filename: displayName(file.filename, `image ${field}`) };
}

/** Nothing here is stored. */
@Controller('api/v1')
export class SearchController {
  constructor(private readonly library: LibraryService) {}

  /** 1:N: the persons nearest to the largest face of the image (body as for /recognize). */
  @Doc({
    tag: 'recognition',
    summary: '1:N search: the persons nearest to the largest face of the image; stores nothing',
    description:
      'Results are closest first, whether or not within the threshold (`match`). 400 when the image has no face.',
    reply: api.searchReply,
    errors: IMG_ERRORS,
  })
  @Audited(AuditCount.one)
  @Post('search')
  @RequireScope('write')
  @ImageBody()
  @HttpCode(200)
  search(@Image() image: Buffer, @Query(new ZodPipe(searchQuery)) query: z.infer<typeof searchQuery>) {
    return this.library.search(image, query);
  }

  /** 1:1: whether the largest faces of images `a` and `b` (multipart) are the same person. */
  @Doc({
    tag: 'recognition',
    summary: '1:1 verification: are the largest faces of images `a` and `b` the same person?',
    description:
      'Multipart with files `a` and `b`; `?threshold=` defaults to 0.6. 400 names the image without a face. Stores nothing.',
    reply: api.verifyReply,
    errors: IMG_ERRORS,
  })
  @Audited(AuditCount.two)
  @Post('verify')
  @RequireScope('write')
  @ImagesForm({ a: 1, b: 1 })
  @HttpCode(200)
  verify(
    @Files('a') a: UploadedFile[],
    @Files('b') b: UploadedFile[],
    @Query(new ZodPipe(verifyQuery)) query: z.infer<typeof verifyQuery>,
  ) {
    return this.library.verify(oneFile(a, 'a'), oneFile(b, 'b'), query.threshold);
  }
}
