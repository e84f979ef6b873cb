import { RecognizerHeartbeat } from '@glimpse/contracts';
import type { Bus } from '@glimpse/platform';
import { strictMock } from '@glimpse/testing';
import { FrameHeartbeat } from './frame-heartbeat';

const cfg = { INSTANCE_ID: 'recognizer-7', HEARTBEAT_INTERVAL_MS: 500 };

function setup(publish: jest.Mock = jest.fn()) {
  const bus = strictMock<Bus>('bus', { publish });
  const hb = new FrameHeartbeat(bus, cfg);
  /** The frame lists of the heartbeats published so far, each checked against its contract. */
  const beats = () =>
    publish.mock.calls.map(([c, args, p]) => {
      expect(c).toBe(RecognizerHeartbeat.contract);
      expect(args).toEqual([]);
      const parsed = RecognizerHeartbeat.payload.parse(p);
      expect(parsed).toMatchObject({ instanceId: 'recognizer-7', intervalMs: 500 });
      return parsed.frames;
    });
  return { hb, publish, beats };
}

describe('FrameHeartbeat', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('announces the frames of one burst at once in one message, then every interval while they are held', () => {
    const { hb, beats } = setup();
    hb.onApplicationBootstrap();
    const a = hb.hold('frame-aaaaaaaa');
    hb.hold('frame-bbbbbbbb');
    hb.hold(undefined); // frames without an id cannot be resent safely: nothing to announce
    expect(beats()).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(beats()).toEqual([['frame-aaaaaaaa', 'frame-bbbbbbbb']]);
    a();
    a(); // a second release changes nothing
    jest.advanceTimersByTime(500);
    expect(beats()).toEqual([['frame-aaaaaaaa', 'frame-bbbbbbbb'], ['frame-bbbbbbbb']]);
    hb.onApplicationShutdown();
  });

  it('keeps a frame listed while another copy of it is still held', () => {
    const { hb } = setup();
    const first = hb.hold('frame-twice-00');
    const second = hb.hold('frame-twice-00');
    first();
    expect(hb.frames).toEqual(['frame-twice-00']);
    second();
    expect(hb.frames).toEqual([]);
  });

  it('beats on through shutdown until the last held frame is answered, then stops', () => {
    const { hb, beats } = setup();
    hb.onApplicationBootstrap();
    const release = hb.hold('frame-draining');
    jest.advanceTimersByTime(1);
    hb.onApplicationShutdown();
    jest.advanceTimersByTime(1000);
    expect(beats()).toHaveLength(3);
    release();
    jest.advanceTimersByTime(5000);
    expect(beats()).toHaveLength(3);
  });

  it('survives a publish that throws (NATS closed) and publishes again afterwards', () => {
    const publish = jest.fn().mockImplementationOnce(() => {
      throw new Error('connection closed');
    });
    const { hb } = setup(publish);
    hb.onApplicationBootstrap();
    hb.hold('frame-survives');
    expect(() => jest.advanceTimersByTime(501)).not.toThrow();
    expect(publish).toHaveBeenCalledTimes(2);
    hb.onApplicationShutdown();
  });
});
