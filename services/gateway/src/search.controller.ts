import { Controller, HttpCode, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { z } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';
import { displayName, searchQuery, verifyQuery } from './library';
import { LibraryService } from './library.service';
import { uploadedFiles, uploadedImage, type UploadedFile } from './upload';
import { ZodPipe } from './zod.pipe';
import { RequireScope } from './auth/access';

function oneFile(req: Request, field: 'a' | 'b'): UploadedFile {
  const [file] = uploadedFiles(req, field);
  if (!file) throw new GlimpseError('INVALID_REQUEST', `multipart body has no file in the '${field}' field: send two images, 'a' and 'b'`);
  return { ...file, filename: displayName(file.filename, `image ${field}`) };
}

/** Nothing here is stored. */
@Controller('api/v1')
export class SearchController {
  constructor(private readonly library: LibraryService) {}

  /** 1:N: the persons nearest to the largest face of the image (body as for /recognize). */
  @Post('search')
  @RequireScope('write')
  @HttpCode(200)
  search(@Req() req: Request, @Query(new ZodPipe(searchQuery)) query: z.infer<typeof searchQuery>) {
    return this.library.search(uploadedImage(req), query);
  }

  /** 1:1: whether the largest faces of images `a` and `b` (multipart) are the same person. */
  @Post('verify')
  @RequireScope('write')
  @HttpCode(200)
  verify(@Req() req: Request, @Query(new ZodPipe(verifyQuery)) query: z.infer<typeof verifyQuery>) {
    return this.library.verify(oneFile(req, 'a'), oneFile(req, 'b'), query.threshold);
  }
}
