import { rm } from 'node:fs/promises';
import { Body, Controller, Delete, Get, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { StreamStart, StreamStop, z } from '@glimpse/contracts';
import { StreamsService } from './streams.service';
import { uploadedVideo } from './upload';
import { validate, ZodPipe } from './zod.pipe';

export const uploadQuery = z.strictObject({
  fps: z.coerce.number().gt(0).max(30).optional(),
  loop: z
    .enum(['true', 'false', '1', '0'], { message: "expected 'true' or 'false'" })
    .transform((v) => v === 'true' || v === '1')
    .default(false),
});

const idPipe = new ZodPipe(StreamStop.request.shape.id);

@Controller('api/v1/streams')
export class StreamsController {
  constructor(private readonly streams: StreamsService) {}

  @Post()
  start(@Body(new ZodPipe(StreamStart.request)) body: z.infer<typeof StreamStart.request>) {
    return this.streams.start(body);
  }

  /** The video body is saved by `videoBodyParser` (see app.ts) before this runs. */
  @Post('upload')
  async upload(@Req() req: Request, @Query() rawQuery: unknown) {
    const video = uploadedVideo(req);
    let query: z.infer<typeof uploadQuery>;
    try {
      query = validate(uploadQuery, rawQuery, 'query');
    } catch (err) {
      await rm(video.path, { force: true });
      throw err;
    }
    return this.streams.startUpload(video, query);
  }

  @Get()
  async list() {
    return { items: await this.streams.list() };
  }

  @Get(':id')
  get(@Param('id', idPipe) id: string) {
    return this.streams.get(id);
  }

  @Delete(':id')
  stop(@Param('id', idPipe) id: string) {
    return this.streams.stop(id);
  }
}
