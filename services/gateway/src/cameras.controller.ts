import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Injectable,
  Inject,
  Param,
  Patch,
  Post,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  CameraCheck,
  CameraCreate,
  CameraDelete,
  cameraIdSchema,
  CameraList,
  CameraProbe,
  cameraSchema,
  CameraUpdate,
  StreamSnapshot,
  type Camera,
  type z,
} from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus } from '@glimpse/platform';
import { RequireScope } from './auth/access';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { upstream } from './upstream';
import { ZodPipe } from './zod.pipe';
import { JsonBody } from './http/body';
import { Doc } from './openapi/doc';
import { Audited, AuditCount } from './audit/audit.routes';
import { noteAudit } from './audit/audit.interceptor';
import { RecognizeService } from './recognize.service';

const idPipe = new ZodPipe(cameraIdSchema);
/** Capture gives a probe up to NETWORK_TIMEOUT_MS (10 s by default) plus 5 s; wait a little longer than that. */
const PROBE_TIMEOUT_MS = 20_000;
/** Only the instance running a camera answers its snapshot: silence this long means none runs it. */
const SNAPSHOT_TIMEOUT_MS = 2_000;

/** Cameras are kept by the capture service (a replicated KV bucket); any capture instance answers. */
@Injectable()
export class CamerasService {
  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
  ) {}

  create(settings: CameraCreate.Request): Promise<Camera> {
    return upstream(this.bus.request(CameraCreate.contract, settings, this.cfg.REQUEST_TIMEOUT_MS));
  }

  async list(): Promise<Camera[]> {
    return (await upstream(this.bus.request(CameraList.contract, {}, this.cfg.REQUEST_TIMEOUT_MS))).items;
  }

  async get(id: string): Promise<Camera> {
    const camera = (await this.list()).find((c) => c.id === id);
    if (!camera) throw new GlimpseError('NOT_FOUND', `no camera '${id}'`);
    return camera;
  }

  update(id: string, patch: z.infer<typeof CameraUpdate.patchSchema>): Promise<Camera> {
    return upstream(this.bus.request(CameraUpdate.contract, { id, patch }, this.cfg.REQUEST_TIMEOUT_MS));
  }

  probe(req: z.infer<typeof CameraProbe.request>): Promise<CameraProbe.Reply> {
    return upstream(
      this.bus.request(CameraProbe.contract, req, Math.max(this.cfg.REQUEST_TIMEOUT_MS, PROBE_TIMEOUT_MS)),
    );
  }

  check(req: CameraCheck.Request): Promise<CameraCheck.Reply> {
    return upstream(this.bus.request(CameraCheck.contract, req, this.cfg.REQUEST_TIMEOUT_MS));
  }

  /** The last frame the camera's capture instance sent to recognition; 404 when no instance runs the camera. */
  async snapshot(id: string): Promise<StreamSnapshot.Reply> {
    try {
      return await this.bus.request(StreamSnapshot.contract, { streamId: id }, SNAPSHOT_TIMEOUT_MS);
    } catch (err) {
      // no responder, or none answering: nobody runs it (paused, reconnecting, or unknown)
      if (err instanceof GlimpseError && (err.code === 'TIMEOUT' || err.code === 'SERVICE_UNAVAILABLE')) {
        throw new GlimpseError('NOT_FOUND', `camera '${id}' is not running, so it has no snapshot`, { cause: err });
      }
      throw err;
    }
  }

  remove(id: string): Promise<Camera> {
    return upstream(this.bus.request(CameraDelete.contract, { id }, this.cfg.REQUEST_TIMEOUT_MS));
  }
}

/** IP cameras as configuration: each enabled camera runs on exactly one capture instance, and comes back after restarts. */
@Controller('api/v1/cameras')
export class CamerasController {
  constructor(
    private readonly cameras: CamerasService,
    private readonly recognizer: RecognizeService,
  ) {}

  @Doc({
    tag: 'cameras',
    summary: 'Add an IP camera (kept across restarts, run by one capture instance)',
    description:
      'The URL is checked against the stream policy (LAN hosts need `STREAM_ALLOWED_HOSTS`); its password is never shown back (`rtsp://user:***@host/…`).',
    status: 201,
    reply: cameraSchema,
    errors: [400, 415, 503, 504],
  })
  @Audited(AuditCount.none)
  @Post()
  @RequireScope('write')
  @JsonBody()
  create(@Body(new ZodPipe(CameraCreate.request)) body: z.infer<typeof CameraCreate.request>) {
    return this.cameras.create(body);
  }

  /** "Test connection": one snapshot from a URL, before (or without) adding it as a camera. */
  @Doc({
    tag: 'cameras',
    summary: 'Test connection: one snapshot from a camera URL (nothing stored or recognized)',
    description:
      'A capture instance opens the URL under the stream policy and answers the first frame as a base64 JPEG at most 640 px wide (bystanders blurred under BLUR_UNKNOWN, as for snapshots); 400 with the reason (redacted) when it cannot read it, 504 when no frame comes in time.',
    reply: CameraProbe.reply,
    errors: [400, 415, 503, 504],
  })
  @Audited(AuditCount.noted)
  @Post('test')
  @HttpCode(200)
  @RequireScope('write')
  @JsonBody()
  async test(@Body(new ZodPipe(CameraProbe.request)) body: z.infer<typeof CameraProbe.request>, @Req() req: Request) {
    const probe = await this.cameras.probe(body);
    // BLUR_UNKNOWN: bystanders blurred, as in every image Glimpse answers (docs/privacy.md)
    const shown = await this.recognizer.blurBystanders(Buffer.from(probe.jpegBase64, 'base64'));
    noteAudit(req, { faces: shown.faces, personIds: shown.personIds });
    return { ...probe, jpegBase64: shown.image.toString('base64') };
  }

  /** Whether capture's stream policy allows a URL's host (a LAN camera needs STREAM_ALLOWED_HOSTS); nothing is opened. */
  @Doc({
    tag: 'cameras',
    summary:
      "Whether capture's stream policy allows a camera URL (a LAN host needs STREAM_ALLOWED_HOSTS); nothing is opened",
    reply: CameraCheck.reply,
    errors: [400, 415, 503, 504],
  })
  @Post('check')
  @HttpCode(200)
  @RequireScope('write')
  @JsonBody()
  check(@Body(new ZodPipe(CameraCheck.request)) body: CameraCheck.Request) {
    return this.cameras.check(body);
  }

  @Doc({
    tag: 'cameras',
    summary: 'Cameras with their state (paused, pending, starting, running, reconnecting) and instance',
    reply: CameraList.reply,
    errors: [503, 504],
  })
  @Get()
  @RequireScope('read')
  async list() {
    return { items: await this.cameras.list() };
  }

  @Doc({ tag: 'cameras', summary: 'One camera', reply: cameraSchema, errors: [400, 404, 503, 504] })
  @Get(':id')
  @RequireScope('read')
  get(@Param('id', idPipe) id: string) {
    return this.cameras.get(id);
  }

  /**
   * The camera's latest frame as sent to recognition (a JPEG), for a live view: `Glimpse-Seq` is the `frame.seq`
   * of its recognition result on the WebSocket, so boxes can be drawn on the frame they belong to.
   */
  @Doc({
    tag: 'cameras',
    summary: "The camera's latest frame sent to recognition (JPEG), for a live view",
    description:
      "Headers `Glimpse-Seq` (the `frame.seq` of its recognition result on /ws, subscribed with the camera id) and `Glimpse-Captured-At`. 404 while no capture instance runs the camera. With BLUR_UNKNOWN (the matcher's) the frame is recognized again, unstored, and every face that is no enrolled, named person's is blurred; 503/504 rather than an unblurred frame when that fails. See docs/privacy.md.",
    reply: { description: 'a JPEG', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } },
    errors: [400, 404, 413, 503, 504],
  })
  @Audited(AuditCount.noted)
  @Get(':id/snapshot')
  @RequireScope('read')
  async snapshot(
    @Param('id', idPipe) id: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const shot = await this.cameras.snapshot(id);
    // BLUR_UNKNOWN: the frame is recognized now and its bystanders blurred; no answer rather than a raw one
    const shown = await this.recognizer.blurBystanders(Buffer.from(shot.jpegBase64, 'base64'));
    noteAudit(req, { faces: shown.faces, personIds: shown.personIds });
    const bytes = shown.image;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Glimpse-Seq', String(shot.seq));
    res.setHeader('Glimpse-Captured-At', shot.capturedAt);
    return new StreamableFile(bytes, { type: 'image/jpeg', length: bytes.length });
  }

  @Doc({
    tag: 'cameras',
    summary: "Change a camera's settings (`enabled: false` pauses it)",
    reply: cameraSchema,
    errors: [400, 404, 409, 415, 503, 504],
  })
  @Patch(':id')
  @RequireScope('write')
  @JsonBody()
  update(
    @Param('id', idPipe) id: string,
    @Body(new ZodPipe(CameraUpdate.patchSchema)) patch: z.infer<typeof CameraUpdate.patchSchema>,
  ) {
    return this.cameras.update(id, patch);
  }

  @Doc({
    tag: 'cameras',
    summary: 'Remove a camera (its capture instance stops it)',
    reply: cameraSchema,
    errors: [400, 404, 503, 504],
  })
  @Delete(':id')
  @RequireScope('write')
  remove(@Param('id', idPipe) id: string) {
    return this.cameras.remove(id);
  }
}
