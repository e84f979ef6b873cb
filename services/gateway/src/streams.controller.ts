import { rm } from 'node:fs/promises';
import { Body, Controller, Delete, Get, Headers, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { StreamStart, StreamStop, StreamUpdate, z } from '@glimpse/contracts';
import { principalOf } from './auth/auth.guard';
import { bearerToken } from './sessions/session-token';
import { SessionService } from './sessions/session.service';
import { StreamsService } from './streams.service';
import { JsonBody, Video, VideoUpload } from './http/body';
import type { SavedVideo } from './upload';
import { RawQuery, validate, ZodPipe } from './zod.pipe';
import { LiveSession, RequireScope } from './auth/access';
import { Doc } from './openapi/doc';
import * as api from './api-schemas';
import { boolParam } from './library';
import { Audited, AuditCount } from './audit/audit.routes';

export const uploadQuery = z.strictObject({
  fps: z.coerce.number().gt(0).max(30).optional(),
  loop: boolParam.default(false),
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

  @Doc({
    tag: 'streams',
    summary: 'Ingest a video file path or an RTSP/HTTP URL',
    status: 201,
    reply: api.streamReply,
    errors: [400, 415, 503, 504],
  })
  @Audited(AuditCount.none)
  @Post()
  @RequireScope('write')
  @JsonBody()
  start(@Body(new ZodPipe(StreamStart.request)) body: z.infer<typeof StreamStart.request>) {
    return this.streams.start(body);
  }

  /** The video is saved to UPLOAD_DIR before this runs; a bad query removes it. */
  @Doc({
    tag: 'streams',
    summary: 'Upload a video file and ingest it',
    status: 201,
    reply: api.streamReply,
    errors: [400, 413, 415, 503, 504],
  })
  @Audited(AuditCount.none)
  @Post('upload')
  @RequireScope('write')
  @VideoUpload()
  async upload(@Video() video: SavedVideo, @Query(new RawQuery(uploadQuery)) rawQuery: unknown) {
    let query: z.infer<typeof uploadQuery>;
    try {
      query = validate(uploadQuery, rawQuery, 'query');
    } catch (err) {
      await rm(video.path, { force: true });
      throw err;
    }
    return this.streams.startUpload(video, query);
  }

  @Doc({ tag: 'streams', summary: 'Streams with their counters', reply: api.streamsReply, errors: [503, 504] })
  @Get()
  @RequireScope('read')
  async list() {
    return { items: await this.streams.list() };
  }

  @Doc({ tag: 'streams', summary: 'One stream', reply: api.streamReply, errors: [400, 404, 503, 504] })
  @Get(':id')
  @RequireScope('read')
  get(@Param('id', idPipe) id: string) {
    return this.streams.get(id);
  }

  /** With a write key any stream; with a camera session's token only that session's own stream. */
  @Doc({
    tag: 'streams',
    summary: "Stop a stream (a live camera's only with its session's bearer token)",
    reply: api.streamReply,
    errors: [400, 401, 403, 404, 503, 504],
  })
  @Delete(':id')
  @RequireScope('write')
  @LiveSession('stream')
  stop(@Param('id', idPipe) id: string, @Req() req: Request, @Headers('authorization') auth?: string) {
    if (!byKey(req)) this.sessions.authorize(bearerToken(auth), { streamId: id });
    return this.streams.stop(id);
  }

  /** `{threshold}` for a live stream, with its session's bearer token. */
  @Doc({
    tag: 'streams',
    summary: "A live camera stream's threshold (session bearer token)",
    reply: api.streamUpdateReply,
    errors: [400, 401, 403, 404, 415, 503, 504],
  })
  @Patch(':id')
  @RequireScope('write')
  @LiveSession('stream')
  @JsonBody()
  update(
    @Param('id', idPipe) id: string,
    @Body(new ZodPipe(updateBody)) body: z.infer<typeof updateBody>,
    @Req() req: Request,
    @Headers('authorization') auth?: string,
  ) {
    if (!byKey(req)) this.sessions.authorize(bearerToken(auth), { streamId: id });
    return this.streams.update(id, body.threshold);
  }
}
