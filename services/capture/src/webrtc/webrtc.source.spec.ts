import { Logger } from '@nestjs/common';
import type { Bus } from '@glimpse/platform';
import { loadCaptureConfig, type CaptureConfig } from '../config';
import type { FrameSink, FrameSourceFactory, LazyFrame } from '../frame-source';
import { BASELINE } from '../jpeg.fixture';
import { StreamManager } from '../stream.manager';
import { announceIp, offeredVideoCodecs, videoAccepted } from './peer';
import { ResourceGauge, WebRtcFrameSource, type PeerEnd, type PeerLink, type VideoSinkLike } from './webrtc.source';
import type { I420Frame } from './wrtc';

class FakeVideo implements VideoSinkLike {
  onframe: ((ev: { frame: I420Frame }) => void) | null = null;
  stops = 0;
  stop(): void {
    this.stops++;
  }
  emit(n = 1): I420Frame {
    let frame!: I420Frame;
    for (let i = 0; i < n; i++) {
      frame = { width: 4, height: 2, data: new Uint8Array(12) };
      this.onframe?.({ frame });
    }
    return frame;
  }
}

class FakePeer implements PeerLink {
  listener?: (end: PeerEnd) => void;
  closes = 0;
  ended = false;
  trackEnded(): boolean {
    return this.ended;
  }
  onEnd(l: (end: PeerEnd) => void): void {
    this.listener = l;
  }
  close(): void {
    this.closes++;
  }
}

class RecordingSink implements FrameSink {
  frames: LazyFrame[] = [];
  ended = 0;
  failures: Error[] = [];
  frame(f: Buffer | LazyFrame): void {
    this.frames.push(f as LazyFrame);
  }
  end(): void {
    this.ended++;
  }
  fail(err: Error): void {
    this.failures.push(err);
  }
}

function setup(over: Partial<ConstructorParameters<typeof WebRtcFrameSource>[2]> = {}) {
  const video = new FakeVideo();
  const peer = new FakePeer();
  const gauge = new ResourceGauge();
  const encode = jest.fn((f: I420Frame) => Buffer.from(`jpeg ${f.width}x${f.height}`));
  const onStopped = jest.fn();
  const source = new WebRtcFrameSource(peer, video, {
    fps: 2,
    connectTimeoutMs: 10_000,
    frameTimeoutMs: 5_000,
    encode,
    gauge,
    onStopped,
    ...over,
  });
  return { video, peer, gauge, encode, onStopped, source, sink: new RecordingSink() };
}

beforeEach(() => jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') }));
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('WebRtcFrameSource snapshots', () => {
  it('offers the latest unseen frame every 1/fps s, and each decoded frame at most once', async () => {
    const t = setup();
    await t.source.start(t.sink);
    t.video.emit(15); // half a second of 30 fps video
    jest.advanceTimersByTime(500);
    expect(t.sink.frames).toHaveLength(1);
    jest.advanceTimersByTime(500); // no new frame since: nothing offered
    expect(t.sink.frames).toHaveLength(1);
    t.video.emit(3);
    jest.advanceTimersByTime(500);
    expect(t.sink.frames).toHaveLength(2);
    expect(t.source.counts).toEqual({ received: 18, offered: 2 });
  });

  it('encodes only when the frame is taken, with the time it arrived', async () => {
    const t = setup();
    await t.source.start(t.sink);
    jest.advanceTimersByTime(200);
    const frame = t.video.emit();
    const arrived = Date.now();
    jest.advanceTimersByTime(300);
    expect(t.encode).not.toHaveBeenCalled();
    const [offered] = t.sink.frames;
    expect(offered.receivedAt).toBe(arrived);
    expect(offered.encode().toString()).toBe('jpeg 4x2');
    expect(t.encode).toHaveBeenCalledWith(frame);
  });

  it('honours the fps', async () => {
    const t = setup({ fps: 5 });
    await t.source.start(t.sink);
    for (let i = 0; i < 10; i++) {
      t.video.emit(6);
      jest.advanceTimersByTime(200);
    }
    expect(t.sink.frames).toHaveLength(10);
  });
});

/** Advances the clock to one second short of `ms`: nothing has failed; then one more second: the source fails with `message`. */
function failsAfterExactly(t: ReturnType<typeof setup>, ms: number, message: RegExp): void {
  jest.advanceTimersByTime(ms - 1_000);
  expect(t.sink.failures).toHaveLength(0);
  jest.advanceTimersByTime(1_000);
  expect(t.sink.failures.map((e) => e.message)).toEqual([expect.stringMatching(message)]);
}

describe('WebRtcFrameSource endings', () => {
  it('fails when no video arrives within the connect timeout', async () => {
    const t = setup();
    await t.source.start(t.sink);
    failsAfterExactly(t, 10_000, /no video within 10 s: the publisher never connected/);
  });

  it('fails when video stops for the frame timeout (tab closed, network lost), not before', async () => {
    const t = setup();
    await t.source.start(t.sink);
    t.video.emit();
    for (let i = 0; i < 8; i++) {
      jest.advanceTimersByTime(1_000);
      t.video.emit(); // a video that keeps flowing never times out
    }
    expect(t.sink.failures).toHaveLength(0);
    failsAfterExactly(t, 5_000, /no video for 5 s: the publisher went away/);
  });

  it('ends at once when the connection fails, and says nothing more after', async () => {
    const t = setup();
    await t.source.start(t.sink);
    t.peer.listener!({ failed: true, reason: 'the WebRTC connection failed' });
    t.peer.listener?.({ failed: false, reason: 'again' });
    jest.advanceTimersByTime(60_000);
    expect(t.sink.failures.map((e) => e.message)).toEqual(['the WebRTC connection failed']);
    expect(t.sink.ended).toBe(0);
  });

  it('ends (not fails) when the remote track ends', async () => {
    const t = setup();
    await t.source.start(t.sink);
    t.video.emit();
    t.peer.ended = true;
    jest.advanceTimersByTime(1_000);
    expect(t.sink.ended).toBe(1);
    expect(t.sink.failures).toHaveLength(0);
  });

  it('stop() frees the peer, the sink and both timers, once', async () => {
    const t = setup();
    await t.source.start(t.sink);
    expect(t.gauge.snapshot()).toEqual({ peers: 0, sinks: 1, timers: 2 });
    expect(jest.getTimerCount()).toBe(2);
    await t.source.stop();
    await t.source.stop();
    expect(jest.getTimerCount()).toBe(0);
    expect(t.gauge.snapshot()).toEqual({ peers: 0, sinks: 0, timers: 0 });
    expect({ video: t.video.stops, peer: t.peer.closes, onStopped: t.onStopped.mock.calls.length }).toEqual({
      video: 1,
      peer: 1,
      onStopped: 1,
    });
    expect(t.video.onframe).toBeNull();
    t.video.emit();
    jest.advanceTimersByTime(60_000);
    expect(t.sink.frames).toHaveLength(0);
    await expect(t.source.start(t.sink)).rejects.toThrow(/already stopped/);
  });

  it('frees everything when stopped before it started (negotiation failed)', async () => {
    const t = setup();
    await t.source.stop();
    expect(t.gauge.snapshot()).toEqual({ peers: 0, sinks: 0, timers: 0 });
    expect(t.peer.closes).toBe(1);
  });
});

describe('WebRTC stream teardown through the StreamManager', () => {
  function manager() {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const cfg: CaptureConfig = { ...loadCaptureConfig({}), INSTANCE_ID: 'capture-test' };
    const requestBinary = jest.fn().mockResolvedValue({ frame: {}, faces: [], timings: {}, processedBy: 'x' });
    const bus = { requestBinary, publish: jest.fn(), maxPayload: 1 << 20 } as unknown as Bus;
    return { manager: new StreamManager(bus, cfg, {} as FrameSourceFactory), requestBinary };
  }

  it('a lost publisher ends the stream as failed and frees everything within the frame timeout', async () => {
    const { manager: m, requestBinary } = manager();
    const t = setup({ encode: () => BASELINE });
    await m.attach(t.source, { id: 'live_x', url: 'webrtc:whip', fps: 2 });
    t.video.emit();
    jest.advanceTimersByTime(500);
    expect(requestBinary).toHaveBeenCalledTimes(1);
    // the browser tab closes: video stops
    jest.advanceTimersByTime(5_500);
    expect(m.list()[0]).toMatchObject({
      id: 'live_x',
      state: 'failed',
      error: expect.stringMatching(/publisher went away/),
    });
    expect(t.gauge.snapshot()).toEqual({ peers: 0, sinks: 0, timers: 0 });
    expect(t.peer.closes).toBe(1);
    expect(t.onStopped).toHaveBeenCalledTimes(1);
  });

  it('stopping the stream (WHIP DELETE) frees everything at once', async () => {
    const { manager: m } = manager();
    const t = setup({ encode: () => BASELINE });
    await m.attach(t.source, { id: 'live_y', url: 'webrtc:whip', fps: 2 });
    await m.stop('live_y');
    expect(t.gauge.snapshot()).toEqual({ peers: 0, sinks: 0, timers: 0 });
    expect(m.activeCount).toBe(0);
  });

  it('shutdown frees every WebRTC stream', async () => {
    const { manager: m } = manager();
    const gauge = new ResourceGauge();
    const sources = [0, 1, 2].map(() => setup({ encode: () => BASELINE, gauge }));
    for (const [i, t] of sources.entries()) await m.attach(t.source, { id: `live_${i}`, url: 'webrtc:whip', fps: 2 });
    expect(gauge.snapshot()).toEqual({ peers: 0, sinks: 3, timers: 6 });
    await m.shutdown();
    expect(gauge.snapshot()).toEqual({ peers: 0, sinks: 0, timers: 0 });
    expect(sources.map((t) => t.peer.closes)).toEqual([1, 1, 1]);
  });
});

describe('codec checks', () => {
  it('tells a rejected video section (no codec in common) from an accepted one', () => {
    expect(videoAccepted('v=0\r\nm=video 0 UDP/TLS/RTP/SAVPF 0\r\na=recvonly\r\n')).toBe(false);
    expect(videoAccepted('v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n')).toBe(true);
  });

  it('names the video codecs an offer lists, without rtx/red/fec', () => {
    const sdp =
      'v=0\r\nm=audio 9 X 111\r\na=rtpmap:111 opus/48000/2\r\nm=video 9 X 96 97 98\r\na=rtpmap:96 H264/90000\r\na=rtpmap:97 rtx/90000\r\na=rtpmap:98 H265/90000\r\n';
    expect(offeredVideoCodecs(sdp)).toEqual(['H264', 'H265']);
  });
});

describe('announceIp', () => {
  const answer = [
    'v=0',
    'm=video 9 UDP/TLS/RTP/SAVPF 96',
    'a=candidate:3229573512 1 udp 2122194687 172.18.0.5 40001 typ host generation 0 network-id 1',
    'a=candidate:1510613869 1 udp 2122063615 127.0.0.1 40001 typ host generation 0 network-id 3',
    'a=candidate:2398920056 1 tcp 1518214911 172.18.0.5 40002 typ host tcptype passive generation 0',
    'a=mid:0',
    '',
  ].join('\r\n');

  it('announces each UDP host port once more at the public address, before the original', () => {
    const out = announceIp(answer, '203.0.113.7');
    const candidates = out.split('\r\n').filter((l) => l.startsWith('a=candidate'));
    expect(candidates).toEqual([
      'a=candidate:32295735129 1 udp 2122194688 203.0.113.7 40001 typ host generation 0 network-id 1',
      'a=candidate:3229573512 1 udp 2122194687 172.18.0.5 40001 typ host generation 0 network-id 1',
      'a=candidate:1510613869 1 udp 2122063615 127.0.0.1 40001 typ host generation 0 network-id 3',
      'a=candidate:2398920056 1 tcp 1518214911 172.18.0.5 40002 typ host tcptype passive generation 0',
    ]);
  });

  it('changes nothing without an address', () => {
    expect(announceIp(answer, undefined)).toBe(answer);
  });
});
