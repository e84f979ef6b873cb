import { Logger } from '@nestjs/common';
import { FrameRecognize, StreamStatus, type Stream } from '@glimpse/contracts';
import { GlimpseError, type Bus } from '@glimpse/platform';
import { strictMock } from '@glimpse/testing';
import { loadCaptureConfig, type CaptureConfig } from './config';
import type { FrameSink, FrameSource, FrameSourceFactory } from './frame-source';
import { BASELINE } from './jpeg.fixture';
import { FRAME_RETRY_DELAYS_MS, StreamManager } from './stream.manager';

class FakeSource implements FrameSource {
  sink?: FrameSink;
  stops = 0;
  constructor(private readonly startError?: Error) {}
  start(sink: FrameSink): Promise<void> {
    if (this.startError) return Promise.reject(this.startError);
    this.sink = sink;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.stops++;
    return Promise.resolve();
  }
  frame(jpeg: Buffer = BASELINE): void {
    this.sink!.frame(jpeg);
  }
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const reply = (seq: number): FrameRecognize.Reply => ({
  frame: { source: 'x', seq, capturedAt: new Date().toISOString(), width: 16, height: 8 },
  faces: [],
  timings: {},
  processedBy: 'test',
});

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function setup(env: Record<string, string> = {}) {
  const cfg: CaptureConfig = { ...loadCaptureConfig({ ...env }), INSTANCE_ID: 'capture-test' };
  const requestBinary = jest.fn();
  const publish = jest.fn();
  const bus = strictMock<Bus>('bus', { requestBinary, publish, maxPayload: 4096 });
  const sources: FakeSource[] = [];
  let nextStartError: Error | undefined;
  const factory = strictMock<FrameSourceFactory>('sources', {
    create: jest.fn(() => {
      const s = new FakeSource(nextStartError);
      nextStartError = undefined;
      sources.push(s);
      return s;
    }),
  });
  const manager = new StreamManager(bus, cfg, factory);
  const statuses = () => publish.mock.calls.map((c) => c[2] as Stream);
  const failNextStart = (err: Error) => (nextStartError = err);
  return { cfg, manager, requestBinary, publish, factory, sources, statuses, failNextStart };
}

let warn: jest.SpyInstance;
beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('StreamManager.start', () => {
  it('starts a source for a file and reports the stream as running', async () => {
    const t = setup({ SNAPSHOT_FPS: '3', MAX_FRAME_WIDTH: '640' });
    const s = await t.manager.start({ url: __filename });
    expect(s).toMatchObject({ url: __filename, fps: 3, state: 'running', instance: 'capture-test', endedAt: null });
    expect(s.id).toMatch(/^s_[A-Za-z0-9_-]{10}$/);
    expect(t.factory.create).toHaveBeenCalledWith(
      { kind: 'file', path: __filename, loop: false },
      { fps: 3, maxWidth: 640 },
    );
    expect(t.publish).toHaveBeenCalledWith(
      StreamStatus.contract,
      [s.id],
      expect.objectContaining({ state: 'running' }),
    );
    expect(t.manager.list()).toEqual([s]);
  });

  it('uses the requested fps and never shows a camera password', async () => {
    const t = setup();
    const s = await t.manager.start({ url: 'rtsp://admin:hunter2@cam/live', fps: 0.5 });
    expect(s).toMatchObject({ url: 'rtsp://admin:***@cam/live', fps: 0.5 });
    expect(JSON.stringify(t.publish.mock.calls)).not.toContain('hunter2');
  });

  it('rejects bad URLs with INVALID_REQUEST before creating anything', async () => {
    const t = setup();
    await expect(t.manager.start({ url: 'ftp://x' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(t.manager.start({ url: '/no/such/file.mp4' })).rejects.toThrow(/file not found/);
    expect(t.factory.create).not.toHaveBeenCalled();
    expect(t.publish).not.toHaveBeenCalled();
  });

  it('refuses streams beyond MAX_STREAMS until one finishes', async () => {
    const t = setup({ MAX_STREAMS: '2' });
    const a = await t.manager.start({ url: __filename });
    await t.manager.start({ url: __filename });
    const err = await t.manager.start({ url: __filename }).catch((e: GlimpseError) => e);
    expect(err).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringMatching(/capture instance at capacity/),
    });
    await t.manager.stop(a.id);
    await expect(t.manager.start({ url: __filename })).resolves.toMatchObject({ state: 'running' });
  });

  it('forgets a stream whose source cannot start, and says why', async () => {
    const t = setup();
    t.failNextStart(new GlimpseError('SERVICE_UNAVAILABLE', 'cannot run ffmpeg (nope): spawn nope ENOENT'));
    await expect(t.manager.start({ url: __filename })).rejects.toThrow(/cannot run ffmpeg/);
    expect(t.manager.list()).toEqual([]);
    expect(t.publish).not.toHaveBeenCalled();
    jest.advanceTimersByTime(60_000); // no stall timer left behind
    expect(t.publish).not.toHaveBeenCalled();
  });
});

describe('frames', () => {
  it('sends one frame at a time and skips (never queues) frames that arrive meanwhile', async () => {
    const t = setup();
    const pending: Array<ReturnType<typeof deferred<FrameRecognize.Reply>>> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    t.requestBinary.mockImplementation(() => {
      const d = deferred<FrameRecognize.Reply>();
      pending.push(d);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      return d.promise.finally(() => inFlight--);
    });
    const s = await t.manager.start({ url: __filename });
    const src = t.sources[0];

    for (let i = 0; i < 5; i++) src.frame();
    expect(t.requestBinary).toHaveBeenCalledTimes(1);
    pending[0].resolve(reply(0));
    await flush();
    src.frame(); // seq 5: free again
    src.frame(); // seq 6: skipped
    pending[1].resolve(reply(5));
    await flush();

    expect(maxInFlight).toBe(1);
    expect(t.requestBinary.mock.calls.map((c) => c[2]['Glimpse-Seq'])).toEqual(['0', '5']);
    const [contract, body, headers, timeout] = t.requestBinary.mock.calls[0];
    expect(contract).toBe(FrameRecognize.contract);
    expect(body).toBe(BASELINE);
    expect(headers).toEqual({
      'Glimpse-Source': s.id,
      'Glimpse-Seq': '0',
      'Glimpse-Frame-Id': expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
      'Glimpse-Captured-At': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      'Glimpse-Store': 'true',
      'Content-Type': 'image/jpeg',
    });
    // A third of RECOGNIZE_TIMEOUT_MS per attempt, so a frame lost with a killed recognizer leaves time to retry.
    expect(timeout).toBe(10_000);
    expect(t.requestBinary.mock.calls[1][2]['Glimpse-Frame-Id']).not.toBe(headers['Glimpse-Frame-Id']);
    expect(t.manager.list()[0]).toMatchObject({
      framesCaptured: 7,
      framesProcessed: 2,
      framesSkipped: 5,
      framesFailed: 0,
      framesRetried: 0,
    });
  });

  it('counts failed recognitions and warns at a limited rate', async () => {
    const t = setup();
    t.requestBinary.mockRejectedValue(new GlimpseError('INVALID_IMAGE', 'cannot decode'));
    await t.manager.start({ url: __filename });
    for (let i = 0; i < 3; i++) {
      t.sources[0].frame();
      await flush();
    }
    expect(t.manager.list()[0]).toMatchObject({ framesFailed: 3, framesProcessed: 0, framesSkipped: 0 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/frame 0 not recognized: INVALID_IMAGE/);
    jest.advanceTimersByTime(10_000);
    t.sources[0].frame();
    await flush();
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[1][0]).toMatch(/2 similar warnings suppressed/);
  });

  it('retries a transient failure with the same frame id after a pause, keeping one frame in flight', async () => {
    const t = setup();
    t.requestBinary
      .mockRejectedValueOnce(new GlimpseError('SERVICE_UNAVAILABLE', 'no service is answering glimpse.frame.recognize'))
      .mockRejectedValueOnce(new GlimpseError('TIMEOUT', 'glimpse.frame.recognize did not answer in time'))
      .mockResolvedValueOnce(reply(0));
    await t.manager.start({ url: __filename });
    t.sources[0].frame();
    await flush();
    expect(t.requestBinary).toHaveBeenCalledTimes(1);
    t.sources[0].frame(); // while frame 0 waits for its retry: skipped, not sent
    await jest.advanceTimersByTimeAsync(250);
    expect(t.requestBinary).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(1000);
    expect(t.requestBinary).toHaveBeenCalledTimes(3);

    const sent = t.requestBinary.mock.calls.map((c) => c[2]);
    expect(new Set(sent.map((h) => h['Glimpse-Frame-Id'])).size).toBe(1);
    expect(sent.map((h) => h['Glimpse-Seq'])).toEqual(['0', '0', '0']);
    expect(t.manager.list()[0]).toMatchObject({
      framesCaptured: 2,
      framesSkipped: 1,
      framesProcessed: 1,
      framesFailed: 0,
      framesRetried: 2,
    });
    expect(warn.mock.calls[0][0]).toMatch(/frame 0: SERVICE_UNAVAILABLE .*; retry 1/);
  });

  it('counts a frame as failed once its retries are used up', async () => {
    const t = setup();
    t.requestBinary.mockRejectedValue(new GlimpseError('WORKER_UNAVAILABLE', 'worker down'));
    await t.manager.start({ url: __filename });
    t.sources[0].frame();
    await jest.advanceTimersByTimeAsync(5000);
    expect(t.requestBinary).toHaveBeenCalledTimes(3);
    expect(t.manager.list()[0]).toMatchObject({ framesProcessed: 0, framesFailed: 1, framesRetried: 2 });
    t.sources[0].frame(); // free again: the next frame is sent
    await flush();
    expect(t.requestBinary).toHaveBeenCalledTimes(4);
  });

  it('does not retry a frame a busy recognizer shed: the next snapshot goes instead', async () => {
    const t = setup();
    t.requestBinary
      .mockRejectedValueOnce(new GlimpseError('OVERLOADED', 'recognizer busy'))
      .mockResolvedValue(reply(1));
    await t.manager.start({ url: __filename });
    t.sources[0].frame();
    await jest.advanceTimersByTimeAsync(2000);
    expect(t.requestBinary).toHaveBeenCalledTimes(1);
    expect(t.manager.list()[0]).toMatchObject({ framesFailed: 1, framesRetried: 0 });
    t.sources[0].frame();
    await flush();
    expect(t.requestBinary.mock.calls.map((c) => c[2]['Glimpse-Seq'])).toEqual(['0', '1']);
  });

  it('does not retry past RECOGNIZE_TIMEOUT_MS: every attempt fits in it', async () => {
    const t = setup({ RECOGNIZE_TIMEOUT_MS: '3000' });
    t.requestBinary.mockImplementation(async (_c, _b, _h, timeoutMs: number) => {
      await new Promise((r) => setTimeout(r, timeoutMs));
      throw new GlimpseError('TIMEOUT', 'glimpse.frame.recognize did not answer in time');
    });
    await t.manager.start({ url: __filename });
    t.sources[0].frame();
    await jest.advanceTimersByTimeAsync(10_000);
    const timeouts = t.requestBinary.mock.calls.map((c) => c[3] as number);
    expect(timeouts[0]).toBe(1000);
    expect(
      timeouts.reduce((a, b) => a + b, 0) +
        FRAME_RETRY_DELAYS_MS.slice(0, timeouts.length - 1).reduce((a, b) => a + b, 0),
    ).toBeLessThanOrEqual(3000);
    expect(t.manager.list()[0]).toMatchObject({ framesFailed: 1, framesProcessed: 0 });
  });

  it('drops frames too big for the bus, or not JPEGs, as failed without sending them', async () => {
    const t = setup();
    await t.manager.start({ url: __filename });
    t.sources[0].frame(Buffer.concat([BASELINE, Buffer.alloc(5000)]));
    t.sources[0].frame(Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    expect(t.requestBinary).not.toHaveBeenCalled();
    expect(t.manager.list()[0]).toMatchObject({ framesCaptured: 2, framesFailed: 2 });
    expect(warn.mock.calls[0][0]).toMatch(/exceeds the bus limit of 4096/);
  });
});

describe('state transitions', () => {
  it('ends at end of input, ignores later frames, and publishes the final counters', async () => {
    const t = setup();
    const d = deferred<FrameRecognize.Reply>();
    t.requestBinary.mockReturnValue(d.promise);
    const s = await t.manager.start({ url: __filename });
    const src = t.sources[0];
    src.frame();
    src.sink!.end();
    src.frame();
    expect(t.manager.list()[0]).toMatchObject({
      state: 'ended',
      error: null,
      framesCaptured: 1,
      endedAt: expect.any(String),
    });
    expect(src.stops).toBe(1);
    expect(t.statuses().map((x) => x.state)).toEqual(['running', 'ended']);

    d.resolve(reply(0));
    await flush();
    expect(t.statuses().at(-1)).toMatchObject({ state: 'ended', framesProcessed: 1 });
    // stopping a finished stream answers with it, unchanged
    await expect(t.manager.stop(s.id)).resolves.toMatchObject({ state: 'ended' });
    expect(src.stops).toBe(1);
  });

  it('stops on request: the source is released, and only the owner answers', async () => {
    const t = setup();
    const s = await t.manager.start({ url: __filename });
    const stopped = await t.manager.stop(s.id);
    expect(stopped).toMatchObject({ id: s.id, state: 'stopped', error: null, endedAt: expect.any(String) });
    expect(t.sources[0].stops).toBe(1);
    expect(t.statuses().at(-1)).toMatchObject({ state: 'stopped' });
    await expect(t.manager.stop('s_notmine000')).resolves.toBeUndefined();
  });

  it('fails with the source error', async () => {
    const t = setup();
    await t.manager.start({ url: __filename });
    t.sources[0].sink!.fail(new Error('ffmpeg exited with code 1: Invalid data found when processing input'));
    t.sources[0].sink!.end(); // a late second signal changes nothing
    expect(t.manager.list()[0]).toMatchObject({ state: 'failed', error: expect.stringMatching(/Invalid data/) });
    expect(t.statuses().map((x) => x.state)).toEqual(['running', 'failed']);
  });

  it('fails a stream that yields no frame for STALL_TIMEOUT_MS', async () => {
    const t = setup({ STALL_TIMEOUT_MS: '5000', STATUS_INTERVAL_MS: '60000' });
    await t.manager.start({ url: __filename });
    t.requestBinary.mockResolvedValue(reply(0));
    jest.advanceTimersByTime(4000);
    t.sources[0].frame(); // resets the watchdog
    jest.advanceTimersByTime(4000);
    expect(t.manager.list()[0].state).toBe('running');
    jest.advanceTimersByTime(1001);
    expect(t.manager.list()[0]).toMatchObject({ state: 'failed', error: 'no frame for 5 s: the source stalled' });
    expect(t.sources[0].stops).toBe(1);
  });

  it('publishes status periodically while running, and not after', async () => {
    const t = setup({ STATUS_INTERVAL_MS: '2000' });
    const s = await t.manager.start({ url: __filename });
    t.publish.mockClear();
    jest.advanceTimersByTime(6000);
    expect(t.publish).toHaveBeenCalledTimes(3);
    await t.manager.stop(s.id);
    t.publish.mockClear();
    jest.advanceTimersByTime(6000);
    expect(t.publish).not.toHaveBeenCalled();
  });

  it('keeps only the last KEEP_FINISHED_STREAMS finished streams', async () => {
    const t = setup({ KEEP_FINISHED_STREAMS: '2' });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await t.manager.start({ url: __filename })).id);
    const running = (await t.manager.start({ url: __filename })).id;
    for (const id of ids) await t.manager.stop(id);
    expect(t.manager.list().map((s) => s.id)).toEqual([ids[2], ids[3], running]);
  });

  it('shuts down: stops every stream, waits for frames in flight, refuses new ones', async () => {
    const t = setup();
    const d = deferred<FrameRecognize.Reply>();
    t.requestBinary.mockReturnValue(d.promise);
    await t.manager.start({ url: __filename });
    await t.manager.start({ url: __filename });
    t.sources[0].frame();
    let done = false;
    const shutdown = t.manager.shutdown().then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    expect(t.manager.list().map((s) => s.state)).toEqual(['stopped', 'stopped']);
    d.resolve(reply(0));
    await shutdown;
    expect(t.sources.map((s) => s.stops)).toEqual([1, 1]);
    expect(t.statuses().at(-1)).toMatchObject({ state: 'stopped', framesProcessed: 1 });
    await expect(t.manager.start({ url: __filename })).rejects.toThrow(/shutting down/);
  });
});

describe('attached sources (WebRTC)', () => {
  const lazy = (encode: () => Buffer, receivedAt = Date.parse('2026-01-01T00:00:00.000Z')) => ({
    receivedAt,
    encode: jest.fn(encode),
  });

  it("runs a source under the caller's id and sends its threshold and arrival time with each frame", async () => {
    const t = setup();
    t.requestBinary.mockResolvedValue(reply(0));
    const src = new FakeSource();
    const s = await t.manager.attach(src, { id: 'live_abc', url: 'webrtc:whip', fps: 2, threshold: 0.45 });
    expect(s).toMatchObject({ id: 'live_abc', url: 'webrtc:whip', fps: 2, state: 'running' });
    src.sink!.frame(lazy(() => BASELINE));
    await flush();
    expect(t.requestBinary.mock.calls[0][2]).toMatchObject({
      'Glimpse-Source': 'live_abc',
      'Glimpse-Threshold': 0.45,
      'Glimpse-Captured-At': '2026-01-01T00:00:00.000Z',
    });
  });

  it('encodes a lazy frame only when it is sent: skipped frames cost nothing', async () => {
    const t = setup();
    const d = deferred<FrameRecognize.Reply>();
    t.requestBinary.mockReturnValue(d.promise);
    const src = new FakeSource();
    await t.manager.attach(src, { id: 'live_a', url: 'webrtc:whip', fps: 2 });
    const first = lazy(() => BASELINE);
    const skipped = lazy(() => BASELINE);
    src.sink!.frame(first);
    src.sink!.frame(skipped);
    expect(first.encode).toHaveBeenCalledTimes(1);
    expect(skipped.encode).not.toHaveBeenCalled();
    expect(t.manager.list()[0]).toMatchObject({ framesCaptured: 2, framesSkipped: 1 });
  });

  it('counts a frame that cannot be encoded as failed, and goes on', async () => {
    const t = setup();
    t.requestBinary.mockResolvedValue(reply(0));
    const src = new FakeSource();
    await t.manager.attach(src, { id: 'live_a', url: 'webrtc:whip', fps: 2 });
    src.sink!.frame(
      lazy(() => {
        throw new Error('not an I420 frame');
      }),
    );
    src.sink!.frame(lazy(() => BASELINE));
    await flush();
    expect(t.manager.list()[0]).toMatchObject({ framesCaptured: 2, framesFailed: 1, framesProcessed: 1 });
    expect(warn.mock.calls[0][0]).toMatch(/could not be encoded: Error: not an I420 frame/);
  });

  it('refuses a second running stream with the same id, stopping the new source', async () => {
    const t = setup();
    await t.manager.attach(new FakeSource(), { id: 'live_a', url: 'webrtc:whip', fps: 2 });
    const dup = new FakeSource();
    await expect(t.manager.attach(dup, { id: 'live_a', url: 'webrtc:whip', fps: 2 })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(dup.stops).toBe(1);
    expect(t.manager.list()).toHaveLength(1);
  });

  it('lets a new stream take the id of a finished one', async () => {
    const t = setup();
    const old = new FakeSource();
    await t.manager.attach(old, { id: 'live_a', url: 'webrtc:whip', fps: 2 });
    await t.manager.stop('live_a');
    await t.manager.attach(new FakeSource(), { id: 'live_a', url: 'webrtc:whip', fps: 2 });
    expect(t.manager.list()).toEqual([expect.objectContaining({ id: 'live_a', state: 'running' })]);
  });

  it('stops the source when at capacity', async () => {
    const t = setup({ MAX_STREAMS: '1' });
    await t.manager.attach(new FakeSource(), { id: 'live_a', url: 'webrtc:whip', fps: 2 });
    const extra = new FakeSource();
    await expect(t.manager.attach(extra, { id: 'live_b', url: 'webrtc:whip', fps: 2 })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
    expect(extra.stops).toBe(1);
  });

  it('updates the threshold of a running stream; only the owner answers', async () => {
    const t = setup();
    t.requestBinary.mockResolvedValue(reply(0));
    const src = new FakeSource();
    await t.manager.attach(src, { id: 'live_a', url: 'webrtc:whip', fps: 2, threshold: 0.6 });
    expect(t.manager.update('live_a', { threshold: 0.4 })).toMatchObject({ threshold: 0.4, stream: { id: 'live_a' } });
    expect(t.manager.update('nope', { threshold: 0.4 })).toBeUndefined();
    src.sink!.frame(lazy(() => BASELINE));
    await flush();
    expect(t.requestBinary.mock.calls[0][2]['Glimpse-Threshold']).toBe(0.4);
    await t.manager.stop('live_a');
    expect(() => t.manager.update('live_a', { threshold: 0.5 })).toThrow(/is stopped/);
  });
});
