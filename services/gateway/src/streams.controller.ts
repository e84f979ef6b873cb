import { rm } from 'node:fs/promises';
import { Body, Controller, Delete, Get, Headers, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { StreamStart, StreamStop, StreamUpdate, z } from '@glimpse/contracts';
import { principalOf } from './auth/auth.guard';
import { bearerToken } from './sessions/session-token';
import { SessionService } from './sessions/session.service';
import { StreamsService } from './streams.service';
import { uploadedVideo } from './upload';
import { validate, ZodPipe } from './zod.pipe';
import { LiveSession, RequireScope } from './auth/access';

export const uploadQuery = z.strictObject({
  fps: z.coerce.number().gt(0).max(30).optional(),
  loop: z
    .enum(['true', 'false', '1', '0'], { message: "expected 'true' or 'false'" })
    .transform((v) => v === 'true' || v === '1')
    .default(false),
});

const idPipe = new ZodPipe(StreamStop.request.shape.id);

export const updateBody = z.strictObject({ threshold: StreamUpdate.request.shape.threshold });

/** Whether AuthGuard let the request in with an API key or the UI cookie (write scope) rather than a session token. */
const byKey = (req: Request) => {
  const p = principalOf(req);
  return p !== undefined && p.kind !== 'session';
};

@Controller('api/v1/streams')
export class StreamsController {
  constructor(
    private readonly streams: StreamsService,
    private readonly sessions: SessionService,
  ) {}

  @Post()
  @RequireScope('write')
  start(@Body(new ZodPipe(StreamStart.request)) body: z.infer<typeof StreamStart.request>) {
    return this.streams.start(body);
  }

  /** The video body is saved by `videoBodyParser` (see app.ts) before this runs. */
  @Post('upload')
  @RequireScope('write')
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
  @RequireScope('read')
  async list() {
    return { items: await this.streams.list() };
  }

  @Get(':id')
  @RequireScope('read')
  get(@Param('id', idPipe) id: string) {
    return this.streams.get(id);
  }

  /** With a write key any stream; with a camera session's token only that session's own stream. */
  @Delete(':id')
  @RequireScope('write')
  @LiveSession('stream')
  stop(@Param('id', idPipe) id: string, @Req() req: Request, @Headers('authorization') auth?: string) {
    if (!byKey(req)) this.sessions.authorize(bearerToken(auth), { streamId: id });
    return this.streams.stop(id);
  }

  /** `{threshold}` for a live stream, with its session's bearer token. */
  @Patch(':id')
  @RequireScope('write')
  @LiveSession('stream')
  update(@Param('id', idPipe) id: string, @Body() body: unknown, @Req() req: Request, @Headers('authorization') auth?: string) {
    if (!byKey(req)) this.sessions.authorize(bearerToken(auth), { streamId: id });
    return this.streams.update(id, validate(updateBody, body, 'body').threshold);
  }
}
