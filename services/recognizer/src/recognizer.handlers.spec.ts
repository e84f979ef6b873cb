import { FrameEncode, FrameRecognize, HealthCheck } from '@glimpse/contracts';
import { GlimpseError, type Bus, type BinaryMessage } from '@glimpse/platform';
import { strictMock } from '@glimpse/testing';
import { loadRecognizerConfig } from './config';
import type { FrameHeartbeat } from './frame-heartbeat';
import type { HealthService } from './health.service';
import { RecognizerHandlers } from './recognizer.handlers';
import type { RecognizerService } from './recognizer.service';

type Handler = (m: BinaryMessage<unknown>) => Promise<unknown>;

interface Deferred {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

const reply = { frame: {}, faces: [{}], timings: { totalMs: 120, detectMs: 30 }, processedBy: 'r' };

/** Handlers wired to a fake bus; each recognize call waits until the test settles it. */
async function setup(env: Record<string, string>) {
  const handlers = new Map<string, Handler>();
  const opts = new Map<string, unknown>();
  const bus = strictMock<Bus>('bus', {
    handleBinary: (c: { subject: string }, fn: Handler, o: unknown) => {
      handlers.set(c.subject, fn);
      opts.set(c.subject, o);
      return undefined;
    },
    handle: () => undefined,
    observe: () => undefined,
  });
  const calls: Deferred[] = [];
  const pending = () => new Promise((resolve, reject) => calls.push({ resolve, reject }));
  const recognizer = strictMock<RecognizerService>('recognizer', {
    recognize: jest.fn(pending),
    encode: jest.fn(pending),
  });
  const health = strictMock<HealthService>('health', {});
  const cfg = loadRecognizerConfig({ INSTANCE_ID: 'r-test', ...env });
  /** Frame ids held by the heartbeat now, in the order they came. */
  const held: string[] = [];
  const heartbeat = strictMock<FrameHeartbeat>('heartbeat', {
    hold: jest.fn((id?: string) => {
      if (id) held.push(id);
      return () => void (id && held.splice(held.indexOf(id), 1));
    }),
  });
  const h = new RecognizerHandlers(bus, cfg, recognizer, health, heartbeat);
  await h.onApplicationBootstrap();
  const frame = (deadline?: number, frameId?: string) =>
    handlers.get(FrameRecognize.subject)!({
      body: new Uint8Array(1),
      headers: frameId ? { 'Glimpse-Frame-Id': frameId } : {},
      deadline,
    });
  const metric = async (name: string) => {
    const text = await h.metrics.registry.metrics();
    return text.split('\n').filter((l) => l.startsWith(name));
  };
  return { h, handlers, opts, recognizer, calls, frame, metric, held };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('RecognizerHandlers', () => {
  it('subscribes both frame subjects with room to shed, plus health', async () => {
    const { handlers, opts } = await setup({ CONCURRENCY: '2', MAX_QUEUE: '3' });
    expect([...handlers.keys()].sort()).toEqual([FrameEncode.subject, FrameRecognize.subject].sort());
    // every frame must reach admission control, or the surplus would wait unread in NATS
    expect(opts.get(FrameRecognize.subject)).toMatchObject({ queue: 'recognizer', concurrency: 2 + 3 + 64 });
    expect(HealthCheck.contractFor('recognizer').subject).toBeDefined();
  });

  it('refuses frames past CONCURRENCY + MAX_QUEUE with OVERLOADED and counts them as shed', async () => {
    const { recognizer, calls, frame, metric } = await setup({ CONCURRENCY: '1', MAX_QUEUE: '1' });
    const first = frame();
    const second = frame();
    const third = frame();
    await expect(third).rejects.toMatchObject({ code: 'OVERLOADED', message: expect.stringMatching(/busy/) });
    await flush();
    expect(recognizer.recognize).toHaveBeenCalledTimes(1);
    expect(await metric('glimpse_recognizer_queue_depth ')).toEqual(['glimpse_recognizer_queue_depth 1']);
    calls[0].resolve(reply);
    await expect(first).resolves.toBe(reply);
    await flush();
    expect(recognizer.recognize).toHaveBeenCalledTimes(2);
    calls[1].reject(new GlimpseError('WORKER_UNAVAILABLE', 'down'));
    await expect(second).rejects.toMatchObject({ code: 'WORKER_UNAVAILABLE' });
    expect(await metric('glimpse_recognizer_frames_shed_total')).toEqual([
      'glimpse_recognizer_frames_shed_total{kind="recognize",reason="queue_full"} 1',
    ]);
    expect(await metric('glimpse_recognizer_frames_failed_total')).toEqual([
      'glimpse_recognizer_frames_failed_total{kind="recognize",code="OVERLOADED"} 1',
      'glimpse_recognizer_frames_failed_total{kind="recognize",code="WORKER_UNAVAILABLE"} 1',
    ]);
    expect(await metric('glimpse_recognizer_frames_processed_total')).toEqual([
      'glimpse_recognizer_frames_processed_total{kind="recognize"} 1',
    ]);
    expect(await metric('glimpse_recognizer_queue_depth_max')).toEqual(['glimpse_recognizer_queue_depth_max 1']);
    expect(await metric('glimpse_recognizer_queue_limit')).toEqual(['glimpse_recognizer_queue_limit 1']);
    expect(await metric('glimpse_recognizer_in_flight')).toEqual(['glimpse_recognizer_in_flight 0']);
  });

  it('never starts a frame whose requester has given up', async () => {
    const { recognizer, calls, frame, metric } = await setup({ CONCURRENCY: '1', MAX_QUEUE: '4' });
    const busy = frame();
    const late = frame(Date.now() + 30);
    await expect(late).rejects.toMatchObject({ code: 'TIMEOUT' });
    calls[0].resolve(reply);
    await busy;
    await flush();
    expect(recognizer.recognize).toHaveBeenCalledTimes(1);
    await expect(frame(Date.now() - 1)).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(recognizer.recognize).toHaveBeenCalledTimes(1);
    expect(await metric('glimpse_recognizer_frames_shed_total')).toEqual([
      'glimpse_recognizer_frames_shed_total{kind="recognize",reason="expired"} 2',
    ]);
  });

  it('lists a frame in the heartbeat from arrival to answer, queued or shed alike', async () => {
    const { calls, frame, held } = await setup({ CONCURRENCY: '1', MAX_QUEUE: '1' });
    const running = frame(undefined, 'frame-running-1');
    const queued = frame(undefined, 'frame-queued-22');
    expect(held).toEqual(['frame-running-1', 'frame-queued-22']);
    await expect(frame(undefined, 'frame-shed-333')).rejects.toMatchObject({ code: 'OVERLOADED' });
    expect(held).toEqual(['frame-running-1', 'frame-queued-22']);
    calls[0].reject(new GlimpseError('WORKER_UNAVAILABLE', 'down'));
    await expect(running).rejects.toMatchObject({ code: 'WORKER_UNAVAILABLE' });
    expect(held).toEqual(['frame-queued-22']);
    await flush();
    calls[1].resolve(reply);
    await expect(queued).resolves.toBe(reply);
    expect(held).toEqual([]);
  });

  it('shares one budget between recognize and encode', async () => {
    const { handlers, recognizer, calls, frame } = await setup({ CONCURRENCY: '1', MAX_QUEUE: '0' });
    const first = frame();
    const encode = handlers.get(FrameEncode.subject)!({ body: new Uint8Array(1), headers: {} });
    await expect(encode).rejects.toMatchObject({ code: 'OVERLOADED' });
    expect(recognizer.encode).not.toHaveBeenCalled();
    calls[0].resolve(reply);
    await first;
  });
});
