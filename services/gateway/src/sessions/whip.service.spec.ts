import type { Stream } from '@glimpse/contracts';
import { GlimpseError, type Bus } from '@glimpse/platform';
import { loadGatewayConfig } from '../config';
import type { LiveStreamWatch } from './live-watch.service';
import { WhipRelay } from './whip.service';

const claims = { sid: 'sess_12345678', streamId: 'live_abc', exp: 2e9, thr: 0.5 };
const stream = { id: 'live_abc', state: 'running' } as Stream;
const reply = { sdp: 'v=0\r\n', resourceId: 'res_12345678', instance: 'capture-1', stream };

function setup(request: jest.Mock, running = false) {
  const bus = { request } as unknown as Bus;
  const watch = { isRunning: jest.fn(() => running), seen: jest.fn() };
  const relay = new WhipRelay(
    bus,
    loadGatewayConfig({ SESSION_SECRET: 'x'.repeat(32) }),
    watch as unknown as LiveStreamWatch,
  );
  return { relay, watch };
}

describe('WhipRelay', () => {
  it("hands the offer with the session's stream and threshold to capture, and names the resource", async () => {
    const request = jest.fn().mockResolvedValue(reply);
    const { relay, watch } = setup(request);
    await expect(relay.publish(claims, 'v=0')).resolves.toEqual({
      sdp: 'v=0\r\n',
      location: '/api/v1/whip/sess_12345678/res_12345678',
    });
    expect(request.mock.calls[0][1]).toEqual({
      sessionId: 'sess_12345678',
      streamId: 'live_abc',
      sdp: 'v=0',
      threshold: 0.5,
    });
    expect(watch.seen).toHaveBeenCalledWith(stream);
  });

  it('tries another capture instance when one is full, up to three times', async () => {
    const full = new GlimpseError('SERVICE_UNAVAILABLE', 'capture instance at capacity (16 streams)');
    const request = jest.fn().mockRejectedValueOnce(full).mockRejectedValueOnce(full).mockResolvedValue(reply);
    await expect(setup(request).relay.publish(claims, 'v=0')).resolves.toMatchObject({ sdp: 'v=0\r\n' });
    const always = jest.fn().mockRejectedValue(full);
    await expect(setup(always).relay.publish(claims, 'v=0')).rejects.toThrow(/at capacity/);
    expect(always).toHaveBeenCalledTimes(3);
    const bad = jest.fn().mockRejectedValue(new GlimpseError('INVALID_REQUEST', 'the SDP offer was refused'));
    await expect(setup(bad).relay.publish(claims, 'v=0')).rejects.toThrow(/refused/);
    expect(bad).toHaveBeenCalledTimes(1);
  });

  it('refuses a second offer while the session is publishing', async () => {
    const request = jest.fn();
    await expect(setup(request, true).relay.publish(claims, 'v=0')).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(request).not.toHaveBeenCalled();
  });

  it('answers a DELETE nobody owns (silence, or no capture at all) with NOT_FOUND', async () => {
    for (const err of [
      new GlimpseError('TIMEOUT', 'glimpse.capture.whip.close did not answer in time'),
      new GlimpseError('SERVICE_UNAVAILABLE', 'no service is answering glimpse.capture.whip.close'),
    ]) {
      await expect(setup(jest.fn().mockRejectedValue(err)).relay.close(claims, 'res_12345678')).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    }
    const stopped = { ...stream, state: 'stopped' } as Stream;
    const { relay, watch } = setup(jest.fn().mockResolvedValue(stopped));
    await expect(relay.close(claims, 'res_12345678')).resolves.toBe(stopped);
    expect(watch.seen).toHaveBeenCalledWith(stopped);
  });
});
