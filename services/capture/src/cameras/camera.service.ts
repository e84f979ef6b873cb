import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CameraCheck,
  CameraProbe,
  cameraSettingsSchema,
  type Camera,
  type CameraLease,
  type CameraSettings,
  type CameraUpdate,
  type StoredCamera,
  type z,
} from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';
import { CAPTURE_CONFIG, type CaptureConfig } from '../config';
import { FRAME_SOURCES, type FrameSourceFactory } from '../frame-source';
import { readJpegSize } from '../jpeg';
import {
  checkSourcePolicy,
  checkSourceShape,
  hostOf,
  isPrivateHost,
  sourcePolicyFrom,
  type SourcePolicy,
} from '../source-policy';
import { parseSourceUrl, redactUrl, redactUrlIn } from '../source-url';
import { CameraStore } from './camera.store';

type Patch = z.infer<typeof CameraUpdate.patchSchema>;

/** The API's view: never the password, the live state from the lease. */
export function presentCamera(cam: StoredCamera, lease: CameraLease | undefined): Camera {
  const live = cam.enabled ? lease : undefined;
  return {
    ...cam,
    url: redactUrl(cam.url),
    state: !cam.enabled ? 'paused' : (live?.state ?? 'pending'),
    instance: live?.instance ?? null,
    error: live?.error ?? null,
    since: live?.since ?? null,
  };
}

/** Camera settings (CRUD); running them is CameraRunner's job. */
@Injectable()
export class CameraService {
  private readonly log = new Logger(CameraService.name);
  private readonly policy: SourcePolicy;

  constructor(
    private readonly store: CameraStore,
    @Inject(CAPTURE_CONFIG) private readonly cfg: CaptureConfig,
    @Inject(FRAME_SOURCES) private readonly sources: FrameSourceFactory,
  ) {
    this.policy = sourcePolicyFrom(cfg);
  }

  async create(settings: CameraSettings): Promise<Camera> {
    await this.checkUrl(settings.url);
    const now = new Date().toISOString();
    const camera: StoredCamera = {
      ...cameraSettingsSchema.parse(settings),
      id: newCameraId(),
      createdAt: now,
      updatedAt: now,
    };
    await this.store.create(camera);
    this.log.log(`camera ${camera.id} (${camera.name}) added: ${redactUrl(camera.url)}`);
    return presentCamera(camera, undefined);
  }

  async list(): Promise<Camera[]> {
    const [cameras, leases] = await Promise.all([this.store.list(), this.store.allLeases()]);
    return cameras.map((c) => presentCamera(c, leases.get(c.id)));
  }

  async update(id: string, patch: Patch): Promise<Camera> {
    const found = await this.find(id);
    if (patch.url !== undefined && patch.url !== found.camera.url) await this.checkUrl(patch.url);
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const camera: StoredCamera = { ...found.camera, ...defined, updatedAt: new Date().toISOString() };
    if (!(await this.store.replace(camera, found.revision))) {
      throw new GlimpseError('CONFLICT', `camera '${id}' was changed meanwhile; read it again and retry`);
    }
    this.log.log(`camera ${id} updated: ${Object.keys(defined).join(', ') || 'nothing'}`);
    return presentCamera(camera, (await this.store.lease(id))?.lease);
  }

  async remove(id: string): Promise<Camera> {
    const found = await this.find(id);
    await this.store.remove(id);
    this.log.log(`camera ${id} (${found.camera.name}) removed`);
    return presentCamera({ ...found.camera, enabled: false }, undefined);
  }

  /** Opens the URL, waits for one frame (NETWORK_TIMEOUT_MS plus 5 s at most) and lets go of the source. */
  async probe(req: CameraProbe.Request): Promise<CameraProbe.Reply> {
    const url = req.url;
    await this.checkUrl(url);
    const parsed = await parseSourceUrl(url, url.startsWith('/') || url.startsWith('file:'));
    const spec = parsed.kind === 'network' ? { ...parsed, transport: req.transport ?? 'tcp' } : parsed;
    const source = this.sources.create(spec, { fps: 2, maxWidth: CameraProbe.PROBE_WIDTH });
    const started = Date.now();
    const timeoutMs = this.cfg.NETWORK_TIMEOUT_MS + 5_000;
    try {
      const jpeg = await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new GlimpseError('TIMEOUT', `no frame within ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
        const done = (fn: () => void) => (clearTimeout(timer), fn());
        source
          .start({
            frame: (f) => done(() => resolve(Buffer.isBuffer(f) ? f : f.encode())),
            end: () => done(() => reject(new GlimpseError('INVALID_REQUEST', 'the source ended before a frame came'))),
            fail: (err) =>
              done(() => reject(new GlimpseError('INVALID_REQUEST', `cannot read the camera: ${err.message}`))),
          })
          .catch((err) => done(() => reject(err)));
      });
      const size = readJpegSize(jpeg);
      if (!size) throw new GlimpseError('INVALID_REQUEST', 'the camera sent a frame that is not a decodable image');
      return { width: size.width, height: size.height, ms: Date.now() - started, jpegBase64: jpeg.toString('base64') };
    } catch (err) {
      const e = err instanceof GlimpseError ? err : new GlimpseError('SERVICE_UNAVAILABLE', String(err));
      throw new GlimpseError(e.code, redactUrlIn(e.message, url));
    } finally {
      await source.stop().catch(() => undefined);
    }
  }

  /** Whether the stream policy lets `url` through (nothing is opened), and whether its host is on the LAN. */
  async check(url: string): Promise<CameraCheck.Reply> {
    const host = hostOf(url);
    // what needs no lookup first (scheme, host name): a URL refused for its shape costs no DNS query
    const shape = await refusal(() => this.checkUrl(url, () => checkSourceShape(url, this.policy)));
    if (shape !== null)
      return {
        host,
        private: await isPrivateHost(url, { ...this.policy, resolver: NO_LOOKUP }),
        allowed: false,
        reason: shape,
      };
    const isPrivate = await isPrivateHost(url, this.policy);
    const reason = await refusal(() => this.checkUrl(url));
    return { host, private: isPrivate, allowed: reason === null, reason };
  }

  private async find(id: string) {
    const found = await this.store.get(id);
    if (!found) throw new GlimpseError('NOT_FOUND', `no camera '${id}'`);
    return found;
  }

  /** The stream policy applies to cameras as to any stream; error messages never echo the password. */
  private async checkUrl(url: string, check?: () => unknown): Promise<void> {
    try {
      if (check) {
        check();
        return;
      }
      await checkSourcePolicy(url, this.policy);
      await parseSourceUrl(url, url.startsWith('/') || url.startsWith('file:'));
    } catch (err) {
      if (!(err instanceof GlimpseError)) throw err;
      // no `cause`: the original message is the one holding the password
      throw new GlimpseError(err.code, redactUrlIn(err.message, url));
    }
  }
}

/** For literal addresses only: a resolver that looks nothing up. */
const NO_LOOKUP = async (): Promise<string[]> => [];

/** The message of an INVALID_REQUEST from `check` (a refusal), null when it passes; other errors are thrown. */
async function refusal(check: () => Promise<void>): Promise<string | null> {
  try {
    await check();
    return null;
  } catch (err) {
    if (!(err instanceof GlimpseError) || err.code !== 'INVALID_REQUEST') throw err;
    return err.message;
  }
}

function newCameraId(): string {
  return `cam_${randomBytes(8).toString('base64url').slice(0, 10)}`;
}
