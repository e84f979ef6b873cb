import { Logger } from '@nestjs/common';
import type { Stream } from '@glimpse/contracts';
import type { Bus } from '@glimpse/platform';
import { loadGatewayConfig } from '../config';
import { CAPTURE_LOST, LiveStreamWatch } from './live-watch.service';

const stream = (id: string, state: Stream['state'] = 'running'): Stream => ({
  id,
  url: 'webrtc:whip',
  fps: 2,
  state,
  error: null,
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: null,
  framesCaptured: 1,
  framesSkipped: 0,
  framesProcessed: 1,
  framesFailed: 0,
  instance: 'capture-1',
});

function setup(listed: Stream[] = [], connected = true) {
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  const gather = jest.fn(async () => [{ items: listed }]);
  const bus = { gather, isConnected: () => connected } as unknown as Bus;
  const watch = new LiveStreamWatch(
    bus,
    loadGatewayConfig({ LIVE_STATUS_TIMEOUT_MS: '5000', SESSION_SECRET: 'x'.repeat(32) }),
  );
  const lost: Stream[] = [];
  watch.onLost((s) => lost.push(s));
  return { watch, gather, lost };
}

afterEach(() => jest.restoreAllMocks());

describe('LiveStreamWatch', () => {
  it('reports a silent live stream that no capture instance has as failed: capture worker lost', async () => {
    const { watch, lost } = setup([]);
    const t0 = Date.now();
    watch.seen(stream('live_a'));
    await watch.check(t0 + 4_000);
    expect(lost).toHaveLength(0);
    await watch.check(t0 + 5_100);
    expect(lost).toEqual([
      expect.objectContaining({ id: 'live_a', state: 'failed', error: CAPTURE_LOST, endedAt: expect.any(String) }),
    ]);
    expect(watch.isRunning('live_a')).toBe(false);
    await watch.check(t0 + 20_000);
    expect(lost).toHaveLength(1); // once
  });

  it('keeps a silent stream that a capture instance still lists', async () => {
    const { watch, lost, gather } = setup([stream('live_a')]);
    watch.seen(stream('live_a'));
    await watch.check(Date.now() + 6_000);
    expect(gather).toHaveBeenCalledTimes(1);
    expect(lost).toHaveLength(0);
    expect(watch.isRunning('live_a')).toBe(true);
  });

  it('forgets finished streams and ignores other streams', async () => {
    const { watch, gather } = setup([]);
    watch.seen(stream('live_a'));
    watch.seen(stream('live_a', 'stopped'));
    watch.seen(stream('s_upload1234'));
    expect(watch.size).toBe(0);
    await watch.check(Date.now() + 60_000);
    expect(gather).not.toHaveBeenCalled();
  });

  it('declares nothing lost while the gateway itself is cut off from NATS', async () => {
    const { watch, lost, gather } = setup([], false);
    watch.seen(stream('live_a'));
    await watch.check(Date.now() + 60_000);
    expect(gather).not.toHaveBeenCalled();
    expect(lost).toHaveLength(0);
  });
});
