import { Body, Controller, Delete, Get, HttpCode, Injectable, Inject, Param, Patch, Post } from '@nestjs/common';
import { CameraCreate, CameraDelete, CameraList, CameraProbe, CameraUpdate, cameraIdSchema, type Camera, type z } from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus } from '@glimpse/platform';
import { RequireScope } from './auth/access';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { upstream } from './upstream';
import { validate, ZodPipe } from './zod.pipe';

const idPipe = new ZodPipe(cameraIdSchema);
/** Capture gives a probe up to NETWORK_TIMEOUT_MS (10 s by default) plus 5 s; wait a little longer than that. */
const PROBE_TIMEOUT_MS = 20_000;

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
    return upstream(this.bus.request(CameraProbe.contract, req, Math.max(this.cfg.REQUEST_TIMEOUT_MS, PROBE_TIMEOUT_MS)));
  }

  remove(id: string): Promise<Camera> {
    return upstream(this.bus.request(CameraDelete.contract, { id }, this.cfg.REQUEST_TIMEOUT_MS));
  }
}

/** IP cameras as configuration: each enabled camera runs on exactly one capture instance, and comes back after restarts. */
@Controller('api/v1/cameras')
export class CamerasController {
  constructor(private readonly cameras: CamerasService) {}

  @Post()
  @RequireScope('write')
  create(@Body(new ZodPipe(CameraCreate.request)) body: z.infer<typeof CameraCreate.request>) {
    return this.cameras.create(body);
  }

  /** "Test connection": one snapshot from a URL, before (or without) adding it as a camera. */
  @Post('test')
  @HttpCode(200)
  @RequireScope('write')
  test(@Body(new ZodPipe(CameraProbe.request)) body: z.infer<typeof CameraProbe.request>) {
    return this.cameras.probe(body);
  }

  @Get()
  @RequireScope('read')
  async list() {
    return { items: await this.cameras.list() };
  }

  @Get(':id')
  @RequireScope('read')
  get(@Param('id', idPipe) id: string) {
    return this.cameras.get(id);
  }

  @Patch(':id')
  @RequireScope('write')
  update(@Param('id', idPipe) id: string, @Body() body: unknown) {
    return this.cameras.update(id, validate(CameraUpdate.patchSchema, body, 'body'));
  }

  @Delete(':id')
  @RequireScope('write')
  remove(@Param('id', idPipe) id: string) {
    return this.cameras.remove(id);
  }
}
