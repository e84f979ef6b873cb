import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { CameraStatus, type CameraLease, type StoredCamera } from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus } from '@glimpse/platform';
import { CAPTURE_CONFIG, type CaptureConfig } from '../config';
import { FRAME_SOURCES, type FrameSourceFactory } from '../frame-source';
import { checkSourcePolicy, sourcePolicyFrom, type SourcePolicy } from '../source-policy';
import { parseSourceUrl, redactUrl, redactUrlIn } from '../source-url';
import { RateLimitedWarn, StreamManager } from '../stream.manager';
import { backoffMs } from './backoff';
import { CameraStore } from './camera.store';

/** A camera this instance holds the lease of. */
interface Held {
  camera: StoredCamera;
  revision: number;
  lease: CameraLease;
  /** Earliest time (ms) of the next start attempt while the stream is down. */
  retryAt: number;
  /** Whether a stream was started since the last failure was counted. */
  live: boolean;
  /** When the lease was last written (ms): past the TTL another instance may hold the camera. */
  renewedAt: number;
}

const isFile = (url: string) => url.startsWith('/') || url.startsWith('file:');
const errorText = (err: unknown) => (err instanceof GlimpseError ? err.message : String(err));

/**
 * Runs every enabled camera on exactly one capture instance. Each tick (a fifth of the lease TTL) it renews
 * the leases it holds, restarts failed streams with capped exponential backoff, and claims cameras whose
 * lease is gone (never taken, released, or expired because its holder died).
 */
@Injectable()
export class CameraRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger(CameraRunner.name);
  /** NATS without JetStream, or down: one warning every 10 s, not one per pass. */
  private readonly passWarn = new RateLimitedWarn((m) => this.log.warn(m));
  private readonly held = new Map<string, Held>();
  private readonly policy: SourcePolicy;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private closing = false;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(CAPTURE_CONFIG) private readonly cfg: CaptureConfig,
    private readonly store: CameraStore,
    private readonly streams: StreamManager,
    @Inject(FRAME_SOURCES) private readonly sources: FrameSourceFactory,
  ) {
    this.policy = sourcePolicyFrom(cfg);
  }

  get tickMs(): number {
    return Math.max(200, Math.floor(this.cfg.CAMERA_LEASE_TTL_MS / 5));
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    void this.tick();
  }

  /** Stops the loop, then gives every camera up at once so that another instance takes it without waiting. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    await this.running;
    await Promise.allSettled([...this.held.keys()].map((id) => this.drop(id, 'capture instance shut down')));
  }

  /** One pass; a pass still under way (slow KV) makes the next one a no-op. */
  tick(): Promise<void> {
    if (this.running || this.closing) return this.running ?? Promise.resolve();
    this.running = this.pass()
      .catch((err) => {
        this.passWarn.warn(`cameras not managed: ${errorText(err)}`);
        return this.stopUnrenewed();
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const cameras = new Map((await this.store.list()).map((c) => [c.id, c]));
    for (const [id, held] of [...this.held]) {
      if (this.closing) return;
      const cam = cameras.get(id);
      if (!cam?.enabled) await this.drop(id, cam ? 'paused' : 'removed');
      else await this.keep(held, cam);
    }
    for (const cam of shuffled([...cameras.values()])) {
      if (this.closing || !cam.enabled || this.held.has(cam.id)) continue;
      if (this.streams.activeCount >= this.cfg.MAX_STREAMS) break;
      await this.tryClaim(cam);
    }
  }

  private async tryClaim(cam: StoredCamera): Promise<void> {
    if (await this.store.lease(cam.id)) return;
    const lease = this.newLease('starting', null, 0);
    const revision = await this.store.claim(cam.id, lease);
    if (revision === null) return;
    this.log.log(`camera ${cam.id} (${cam.name}) claimed: ${redactUrl(cam.url)}`);
    const held: Held = { camera: cam, revision, lease, retryAt: 0, live: false, renewedAt: Date.now() };
    this.held.set(cam.id, held);
    await this.keep(held, cam);
  }

  /** Applies setting changes, restarts a failed stream when its backoff is over, then renews the lease. */
  private async keep(held: Held, cam: StoredCamera): Promise<void> {
    const prev = held.camera;
    held.camera = cam;
    if (
      prev.url !== cam.url ||
      prev.fps !== cam.fps ||
      prev.transport !== cam.transport ||
      prev.decode !== cam.decode
    ) {
      // a deliberate restart with the new settings, not a failure: no backoff
      await this.streams.stop(cam.id);
      held.live = false;
      held.retryAt = 0;
    } else if (prev.threshold !== cam.threshold && cam.threshold !== null && this.streams.isRunning(cam.id)) {
      this.streams.update(cam.id, { threshold: cam.threshold });
    }
    await this.advance(held);
    const revision = await this.store.renew(cam.id, held.lease, held.revision);
    if (revision === null) {
      this.log.warn(`camera ${cam.id}: lease lost to another instance; stopping it here`);
      this.held.delete(cam.id);
      await this.streams.stop(cam.id);
      return;
    }
    held.revision = revision;
    held.renewedAt = Date.now();
  }

  /**
   * Cut off from the KV (NATS down, a partition): a lease not renewed for its TTL may already be another
   * instance's, so the camera stops here rather than run twice.
   */
  private async stopUnrenewed(): Promise<void> {
    const expired = [...this.held.values()].filter((h) => Date.now() - h.renewedAt >= this.cfg.CAMERA_LEASE_TTL_MS);
    for (const h of expired) {
      this.log.warn(
        `camera ${h.camera.id}: lease not renewed for ${this.cfg.CAMERA_LEASE_TTL_MS} ms; stopping it here`,
      );
      this.held.delete(h.camera.id);
      await this.streams.stop(h.camera.id);
    }
  }

  private async advance(held: Held): Promise<void> {
    const id = held.camera.id;
    const stream = this.streams.get(id);
    if (stream && (stream.state === 'starting' || stream.state === 'running')) {
      if (stream.framesCaptured > 0 && held.lease.state !== 'running') {
        this.log.log(`camera ${id} online`);
        this.setState(held, 'running', null, 0);
        this.announce(held, 'camera.online');
      }
      return;
    }
    if (held.live) {
      held.live = false;
      this.down(held, stream?.error ?? `stream ${stream?.state ?? 'gone'}`);
    }
    if (Date.now() < held.retryAt) return;
    try {
      await this.startStream(held.camera);
      held.live = true;
    } catch (err) {
      this.down(held, errorText(err));
    }
  }

  /** Marks the camera reconnecting and schedules the next attempt. */
  private down(held: Held, raw: string): void {
    const error = redactUrlIn(raw, held.camera.url);
    const attempts = held.lease.attempts + 1;
    const wait = backoffMs(attempts, this.cfg.CAMERA_BACKOFF_MAX_MS);
    held.retryAt = Date.now() + wait;
    const wasUp = held.lease.state !== 'reconnecting';
    if (wasUp) this.log.warn(`camera ${held.camera.id} offline: ${error}`);
    this.setState(held, 'reconnecting', error, attempts);
    if (wasUp) this.announce(held, 'camera.offline');
    this.log.log(`camera ${held.camera.id}: reconnect attempt ${attempts} in ${wait} ms`);
  }

  /** camera.offline / camera.online for other systems; a failed publish (NATS away) is logged, never thrown. */
  private announce(held: Held, type: CameraStatus.Payload['type']): void {
    const { camera: cam, lease } = held;
    const at = new Date().toISOString();
    const payload: CameraStatus.Payload = {
      id: `${type}:${cam.id}:${at}`,
      type,
      cameraId: cam.id,
      name: cam.name,
      url: redactUrl(cam.url),
      instance: this.cfg.INSTANCE_ID,
      error: lease.error,
      attempts: lease.attempts,
      at,
    };
    try {
      this.bus.publish(CameraStatus.contract, [cam.id], payload);
    } catch (err) {
      this.log.warn(`camera ${cam.id}: cannot publish ${type}: ${errorText(err)}`);
    }
  }

  private setState(held: Held, state: CameraLease['state'], error: string | null, attempts: number): void {
    const since = state === held.lease.state ? held.lease.since : new Date().toISOString();
    held.lease = { instance: this.cfg.INSTANCE_ID, state, error, since, attempts };
  }

  private async startStream(cam: StoredCamera): Promise<void> {
    await checkSourcePolicy(cam.url, this.policy);
    const parsed = await parseSourceUrl(cam.url, isFile(cam.url));
    const spec = parsed.kind === 'network' ? { ...parsed, transport: cam.transport } : parsed;
    const source = this.sources.create(spec, {
      fps: cam.fps,
      maxWidth: this.cfg.MAX_FRAME_WIDTH,
      keyframesOnly: cam.decode === 'keyframes',
    });
    await this.streams.attach(source, {
      id: cam.id,
      url: redactUrl(cam.url),
      fps: cam.fps,
      threshold: cam.threshold ?? undefined,
    });
  }

  private async drop(id: string, why: string): Promise<void> {
    const held = this.held.get(id);
    this.held.delete(id);
    await this.streams.stop(id);
    if (held) await this.store.release(id, held.revision);
    this.log.log(`camera ${id} released (${why})`);
  }

  private newLease(state: CameraLease['state'], error: string | null, attempts: number): CameraLease {
    return { instance: this.cfg.INSTANCE_ID, state, error, since: new Date().toISOString(), attempts };
  }
}

/** A random order, so that instances racing for many cameras at once split them instead of colliding on each. */
function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
