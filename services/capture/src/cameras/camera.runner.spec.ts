import { Logger } from '@nestjs/common';
import { CameraStatus, type CameraLease, type StoredCamera } from '@glimpse/contracts';
import type { Bus } from '@glimpse/platform';
import { loadCaptureConfig, type CaptureConfig } from '../config';
import type { FrameSink, FrameSource, FrameSourceFactory } from '../frame-source';
import { BASELINE } from '../jpeg.fixture';
import { StreamManager } from '../stream.manager';
import { backoffMs } from './backoff';
import { CameraRunner } from './camera.runner';
import { presentCamera } from './camera.service';
import type { CameraStore, HeldLease } from './camera.store';

const SECRET = 's3cret-Pass';

/** The two KV buckets in memory, with the same revision checks as JetStream KV. */
class MemoryStore {
  cameras = new Map<string, StoredCamera>();
  leases = new Map<string, HeldLease>();
  private seq = 0;

  async list() {
    return [...this.cameras.values()];
  }
  async lease(id: string) {
    return this.leases.get(id) ?? null;
  }
  async claim(id: string, lease: CameraLease) {
    if (this.leases.has(id)) return null;
    this.leases.set(id, { lease, revision: ++this.seq });
    return this.seq;
  }
  async renew(id: string, lease: CameraLease, revision: number) {
    if (this.leases.get(id)?.revision !== revision) return null;
    this.leases.set(id, { lease, revision: ++this.seq });
    return this.seq;
  }
  async release(id: string, revision: number) {
    if (this.leases.get(id)?.revision === revision) this.leases.delete(id);
  }
  /** What happens when a lease expires: the entry is gone. */
  expire(id: string) {
    this.leases.delete(id);
  }
}

class FakeSource implements FrameSource {
  sink?: FrameSink;
  stopped = false;
  constructor(private readonly startError?: Error) {}
  async start(sink: FrameSink) {
    if (this.startError) throw this.startError;
    this.sink = sink;
  }
  async stop() {
    this.stopped = true;
  }
}

function camera(id: string, url = __filename, extra: Partial<StoredCamera> = {}): StoredCamera {
  const at = new Date().toISOString();
  return {
    id,
    name: id,
    url,
    fps: 2,
    enabled: true,
    threshold: null,
    transport: 'tcp',
    decode: 'all',
    createdAt: at,
    updatedAt: at,
    ...extra,
  };
}

function instance(store: MemoryStore, name: string) {
  const env = {
    STREAM_ALLOWED_SCHEMES: 'file,rtsp',
    STREAM_FILE_ROOTS: __dirname,
    STREAM_ALLOW_PRIVATE: 'true',
    CAMERA_BACKOFF_MAX_MS: '4000',
  };
  const cfg: CaptureConfig = { ...loadCaptureConfig(env), INSTANCE_ID: name };
  const bus = { publish: jest.fn(), requestBinary: jest.fn(async () => ({})), maxPayload: 1 << 20 } as unknown as Bus;
  const sources: FakeSource[] = [];
  const failures: Error[] = [];
  const factory: FrameSourceFactory = {
    create: () => {
      const s = new FakeSource(failures.shift());
      sources.push(s);
      return s;
    },
  };
  const streams = new StreamManager(bus, cfg, factory);
  const runner = new CameraRunner(bus, cfg, store as unknown as CameraStore, streams, factory);
  const events = () =>
    (bus.publish as jest.Mock).mock.calls
      .filter((c) => c[0] === CameraStatus.contract)
      .map((c) => c[2] as CameraStatus.Payload);
  return { runner, streams, sources, failures, events };
}

let now = 1_000_000;
beforeEach(() => {
  now = 1_000_000;
  jest.spyOn(Date, 'now').mockImplementation(() => now);
  jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('CameraRunner', () => {
  it('runs each enabled camera on exactly one instance', async () => {
    const store = new MemoryStore();
    store.cameras.set('cam_a', camera('cam_a'));
    store.cameras.set('cam_b', camera('cam_b', __filename, { enabled: false }));
    const a = instance(store, 'a');
    const b = instance(store, 'b');
    await Promise.all([a.runner.tick(), b.runner.tick()]);
    const running = [a, b].filter((i) => i.streams.isRunning('cam_a'));
    expect(running).toHaveLength(1);
    expect(store.leases.get('cam_a')?.lease).toMatchObject({ state: 'starting', error: null });
    expect([a, b].some((i) => i.streams.get('cam_b'))).toBe(false);
    expect(store.leases.has('cam_b')).toBe(false);
  });

  it('marks a camera running once frames flow', async () => {
    const store = new MemoryStore();
    store.cameras.set('cam_a', camera('cam_a'));
    const a = instance(store, 'a');
    await a.runner.tick();
    a.sources[0]!.sink!.frame(BASELINE);
    await a.runner.tick();
    expect(store.leases.get('cam_a')?.lease).toMatchObject({ instance: 'a', state: 'running', attempts: 0 });
  });

  it('takes over a camera whose lease expired (its instance died)', async () => {
    const store = new MemoryStore();
    store.cameras.set('cam_a', camera('cam_a'));
    const a = instance(store, 'a');
    const b = instance(store, 'b');
    await a.runner.tick();
    await b.runner.tick();
    expect(b.streams.isRunning('cam_a')).toBe(false);
    store.expire('cam_a'); // a stopped renewing
    await b.runner.tick();
    expect(b.streams.isRunning('cam_a')).toBe(true);
    expect(store.leases.get('cam_a')?.lease.instance).toBe('b');
    // a comes back from a pause: its renewal fails on the revision, so it stops its copy
    await a.runner.tick();
    expect(a.streams.isRunning('cam_a')).toBe(false);
    expect(a.sources[0]!.stopped).toBe(true);
  });

  it('reconnects a failed camera with capped exponential backoff, never showing its password', async () => {
    const store = new MemoryStore();
    const url = `rtsp://viewer:${SECRET}@192.0.2.10/stream1`;
    store.cameras.set('cam_r', camera('cam_r', url));
    const a = instance(store, 'a');
    const refused = () => new Error(`${url}: Connection refused`);
    a.failures.push(refused(), refused(), refused(), refused());
    const starts = () => a.sources.length;
    await a.runner.tick();
    expect(starts()).toBe(1);
    const lease = store.leases.get('cam_r')!.lease;
    expect(lease).toMatchObject({ state: 'reconnecting', attempts: 1 });
    expect(lease.error).toContain('viewer:***@192.0.2.10');
    expect(JSON.stringify(store.leases.get('cam_r'))).not.toContain(SECRET);
    const waits: number[] = [];
    for (let n = 0; n < 4; n++) {
      const before = starts();
      let waited = 0;
      while (starts() === before) {
        now += 250;
        waited += 250;
        await a.runner.tick();
      }
      waits.push(waited);
    }
    expect(waits).toEqual([1000, 2000, 4000, 4000]);
    expect(a.streams.isRunning('cam_r')).toBe(true); // the fifth start worked
    a.sources.at(-1)!.sink!.frame(BASELINE);
    await a.runner.tick();
    // one offline when it went away (not one per attempt), one online when frames flowed again
    expect(a.events().map((e) => [e.type, e.attempts])).toEqual([
      ['camera.offline', 1],
      ['camera.online', 0],
    ]);
    expect(JSON.stringify(a.events())).not.toContain(SECRET);
    expect(store.leases.get('cam_r')!.lease).toMatchObject({ state: 'running', error: null, attempts: 0 });
  });

  it('stops a camera it cannot renew for a lease TTL (cut off from NATS), so that it never runs twice', async () => {
    const store = new MemoryStore();
    store.cameras.set('cam_a', camera('cam_a'));
    const a = instance(store, 'a');
    await a.runner.tick();
    const list = jest.spyOn(store, 'list').mockRejectedValue(new Error('TIMEOUT'));
    now += 1_000;
    await a.runner.tick();
    expect(a.streams.isRunning('cam_a')).toBe(true); // within the TTL: still ours
    now += 5_000;
    await a.runner.tick();
    expect(a.streams.isRunning('cam_a')).toBe(false);
    list.mockRestore();
    store.expire('cam_a');
    await a.runner.tick(); // NATS is back: the camera is claimed again
    expect(a.streams.isRunning('cam_a')).toBe(true);
  });

  it('releases a paused or removed camera and stops its stream', async () => {
    const store = new MemoryStore();
    store.cameras.set('cam_a', camera('cam_a'));
    store.cameras.set('cam_b', camera('cam_b'));
    const a = instance(store, 'a');
    await a.runner.tick();
    store.cameras.set('cam_a', { ...store.cameras.get('cam_a')!, enabled: false });
    store.cameras.delete('cam_b');
    await a.runner.tick();
    expect(a.streams.isRunning('cam_a') || a.streams.isRunning('cam_b')).toBe(false);
    expect(store.leases.size).toBe(0);
  });

  it('gives its cameras up at shutdown so that another instance need not wait for the TTL', async () => {
    const store = new MemoryStore();
    store.cameras.set('cam_a', camera('cam_a'));
    const a = instance(store, 'a');
    await a.runner.tick();
    await a.runner.beforeApplicationShutdown();
    expect(store.leases.size).toBe(0);
    await a.runner.tick(); // a no-op once closing
    expect(store.leases.size).toBe(0);
  });
});

describe('presentCamera and backoffMs', () => {
  it('redacts the password and merges the lease', () => {
    const cam = camera('cam_x', `rtsp://admin:${SECRET}@cam.lan:554/h264`);
    const lease: CameraLease = {
      instance: 'a',
      state: 'running',
      error: null,
      since: new Date().toISOString(),
      attempts: 0,
    };
    const shown = presentCamera(cam, lease);
    expect(shown).toMatchObject({ url: 'rtsp://admin:***@cam.lan:554/h264', state: 'running', instance: 'a' });
    expect(JSON.stringify(shown)).not.toContain(SECRET);
    expect(presentCamera(cam, undefined).state).toBe('pending');
    expect(presentCamera({ ...cam, enabled: false }, lease)).toMatchObject({ state: 'paused', instance: null });
  });

  it('doubles from 1 s and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => backoffMs(n, 10_000))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000, 10_000,
    ]);
  });
});
