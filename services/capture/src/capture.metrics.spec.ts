import { Logger } from '@nestjs/common';
import { FrameRecognize } from '@glimpse/contracts';
import { GlimpseError, type Bus } from '@glimpse/platform';
import { strictMock } from '@glimpse/testing';
import { CaptureMetrics } from './capture.metrics';
import { loadCaptureConfig, type CaptureConfig } from './config';
import type { FrameSink, FrameSource, FrameSourceFactory } from './frame-source';
import { BASELINE } from './jpeg.fixture';
import { StreamManager } from './stream.manager';

class FakeSource implements FrameSource {
  sink?: FrameSink;
  start(sink: FrameSink): Promise<void> {
    this.sink = sink;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

const reply: FrameRecognize.Reply = {
  frame: { source: 'x', seq: 0, capturedAt: new Date().toISOString(), width: 16, height: 8 },
  faces: [],
  timings: {},
  processedBy: 'test',
};

const flush = () => new Promise((r) => setImmediate(r));

function setup(env: Record<string, string> = {}) {
  const cfg: CaptureConfig = { ...loadCaptureConfig(env), INSTANCE_ID: 'capture-test' };
  const answers: Array<{ resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];
  const requestBinary = jest.fn(() => new Promise((resolve, reject) => answers.push({ resolve, reject })));
  const bus = strictMock<Bus>('bus', { requestBinary, publish: jest.fn(), maxPayload: 1 << 20 });
  const manager = new StreamManager(bus, cfg, strictMock<FrameSourceFactory>('sources', {}));
  const metrics = new CaptureMetrics(false);
  metrics.attach(manager);
  const lines = async (name: string) =>
    (await metrics.registry.metrics()).split('\n').filter((l) => l.startsWith(name));
  return { manager, metrics, answers, lines };
}

beforeEach(() => {
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('CaptureMetrics', () => {
  it('reports captured, skipped, processed and failed frames, sends and round trips', async () => {
    const { manager, answers, lines } = setup();
    const src = new FakeSource();
    await manager.attach(src, { id: 'cam-1', url: 'webrtc:test', fps: 2 });
    expect(await lines('glimpse_capture_streams_active')).toEqual(['glimpse_capture_streams_active 1']);
    src.sink!.frame(BASELINE); // sent
    src.sink!.frame(BASELINE); // skipped: the first is in flight
    answers[0].resolve(reply);
    await flush();
    src.sink!.frame(BASELINE); // sent, fails
    answers[1].reject(new GlimpseError('INVALID_IMAGE', 'not decodable')); // not transient: no retry
    await flush();
    const frames = await lines('glimpse_capture_frames_total{');
    expect(frames).toEqual(
      expect.arrayContaining([
        'glimpse_capture_frames_total{outcome="captured"} 3',
        'glimpse_capture_frames_total{outcome="skipped"} 1',
        'glimpse_capture_frames_total{outcome="processed"} 1',
        'glimpse_capture_frames_total{outcome="failed"} 1',
      ]),
    );
    expect(await lines('glimpse_capture_frames_sent_total')).toEqual(['glimpse_capture_frames_sent_total 2']);
    expect(await lines('glimpse_capture_recognize_seconds_count')).toEqual([
      'glimpse_capture_recognize_seconds_count{outcome="processed"} 1',
      'glimpse_capture_recognize_seconds_count{outcome="failed"} 1',
    ]);
  });

  it('keeps counting streams that are no longer listed, so the totals never go down', async () => {
    const { manager, answers, lines } = setup({ KEEP_FINISHED_STREAMS: '0' });
    const src = new FakeSource();
    await manager.attach(src, { id: 'cam-1', url: 'webrtc:test', fps: 2 });
    src.sink!.frame(BASELINE);
    answers[0].resolve(reply);
    await flush();
    await manager.stop('cam-1');
    expect(manager.list()).toEqual([]);
    expect(await lines('glimpse_capture_streams_active')).toEqual(['glimpse_capture_streams_active 0']);
    expect(await lines('glimpse_capture_frames_total{outcome="processed"}')).toEqual([
      'glimpse_capture_frames_total{outcome="processed"} 1',
    ]);
  });
});
