import { Inject, Injectable } from '@nestjs/common';
import { cameraLeaseSchema, storedCameraSchema, type CameraLease, type StoredCamera, type z } from '@glimpse/contracts';
import { Bus, GlimpseError, InjectBus } from '@glimpse/platform';
import type { KV, KvEntry } from 'nats';
import { CAPTURE_CONFIG, type CaptureConfig } from '../config';

/** Camera settings: no TTL, a few revisions kept for operators (`nats kv history`). */
export const CAMERAS_BUCKET = 'glimpse_cameras';
/** Which instance runs which camera: every entry expires CAMERA_LEASE_TTL_MS after its last renewal. */
export const CAMERA_LEASES_BUCKET = 'glimpse_camera_leases';

const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

function decode<T>(schema: z.ZodType<T>, e: KvEntry | null): T | null {
  if (!e || e.operation !== 'PUT' || e.value.length === 0) return null;
  try {
    const r = schema.safeParse(JSON.parse(new TextDecoder().decode(e.value)));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** A lease as read, with the revision an update must name. */
export interface HeldLease {
  lease: CameraLease;
  revision: number;
}

/** KV's "wrong last sequence" (a revision-checked write lost a race) is an expected outcome, not an error. */
const lostRace = (err: unknown) => /wrong last sequence|key exists/i.test(String((err as Error)?.message ?? err));

/**
 * The cameras and their leases in two replicated JetStream KV buckets, shared by every capture instance.
 * Leases are written only with revision checks (create / update with the read revision), so two instances
 * can never both believe they hold a camera after a renewal.
 */
@Injectable()
export class CameraStore {
  private cameras?: Promise<KV>;
  private leases?: Promise<KV>;

  constructor(
    @InjectBus() private readonly bus: Bus,
    @Inject(CAPTURE_CONFIG) private readonly cfg: CaptureConfig,
  ) {}

  private open(name: string, ttl?: number): Promise<KV> {
    const replicas = this.bus.jetStreamReplicas(this.cfg.NATS_REPLICAS);
    const p = this.bus.nc.jetstream().views.kv(name, { history: ttl ? 1 : 5, ttl, replicas });
    return p.catch((err) => {
      throw new GlimpseError('SERVICE_UNAVAILABLE', `cannot open KV bucket ${name}: ${String(err)}`, { cause: err });
    });
  }

  private camerasKv(): Promise<KV> {
    this.cameras ??= this.open(CAMERAS_BUCKET).catch((err) => {
      this.cameras = undefined;
      throw err;
    });
    return this.cameras;
  }

  private leasesKv(): Promise<KV> {
    this.leases ??= this.open(CAMERA_LEASES_BUCKET, this.cfg.CAMERA_LEASE_TTL_MS).catch((err) => {
      this.leases = undefined;
      throw err;
    });
    return this.leases;
  }

  /**
   * The bucket's keys from its stream's subject list, not `kv.keys()`: that iterator stops when the
   * consumer reports nothing pending, and with keys being rewritten meanwhile (leases are, every tick) it was
   * seen to stop early and leave keys out. Deleted keys are listed too; `get` then finds no value.
   */
  private async keysOf(bucket: string): Promise<string[]> {
    const jsm = await this.bus.nc.jetstreamManager();
    const prefix = `$KV.${bucket}.`;
    const info = await jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${prefix}>` });
    return Object.keys(info.state.subjects ?? {}).map((s) => s.slice(prefix.length));
  }

  async list(): Promise<StoredCamera[]> {
    const kv = await this.camerasKv();
    const keys = await this.keysOf(CAMERAS_BUCKET);
    const cameras = await Promise.all(keys.map(async (k) => decode(storedCameraSchema, await kv.get(k))));
    return cameras.filter((c): c is StoredCamera => c !== null).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async get(id: string): Promise<{ camera: StoredCamera; revision: number } | null> {
    const e = await (await this.camerasKv()).get(id);
    const camera = decode(storedCameraSchema, e);
    return camera && e ? { camera, revision: e.revision } : null;
  }

  async create(camera: StoredCamera): Promise<void> {
    await (await this.camerasKv()).create(camera.id, encode(camera));
  }

  /** False when someone else changed the camera since `revision` was read. */
  async replace(camera: StoredCamera, revision: number): Promise<boolean> {
    try {
      await (await this.camerasKv()).update(camera.id, encode(camera), revision);
      return true;
    } catch (err) {
      if (lostRace(err)) return false;
      throw err;
    }
  }

  async remove(id: string): Promise<void> {
    await (await this.camerasKv()).delete(id);
  }

  async lease(id: string): Promise<HeldLease | null> {
    const e = await (await this.leasesKv()).get(id);
    const lease = decode(cameraLeaseSchema, e);
    return lease && e ? { lease, revision: e.revision } : null;
  }

  /** Every live lease by camera id. */
  async allLeases(): Promise<Map<string, CameraLease>> {
    const kv = await this.leasesKv();
    const keys = await this.keysOf(CAMERA_LEASES_BUCKET);
    const leases = await Promise.all(keys.map(async (k) => [k, decode(cameraLeaseSchema, await kv.get(k))] as const));
    return new Map(leases.filter((e): e is readonly [string, CameraLease] => e[1] !== null));
  }

  /** Takes a camera nobody holds; the new revision, or null when another instance was faster or holds it. */
  async claim(id: string, lease: CameraLease): Promise<number | null> {
    try {
      return await (await this.leasesKv()).create(id, encode(lease));
    } catch (err) {
      if (lostRace(err)) return null;
      throw err;
    }
  }

  /** Renews a held lease; null when it was lost (expired and taken, or deleted). */
  async renew(id: string, lease: CameraLease, revision: number): Promise<number | null> {
    try {
      return await (await this.leasesKv()).update(id, encode(lease), revision);
    } catch (err) {
      if (lostRace(err)) return null;
      throw err;
    }
  }

  /** Gives a camera up at once (shutdown, pause), so another instance need not wait for the lease to expire. */
  async release(id: string, revision: number): Promise<void> {
    await (await this.leasesKv()).delete(id, { previousSeq: revision }).catch((err) => {
      if (!lostRace(err)) throw err;
    });
  }
}
