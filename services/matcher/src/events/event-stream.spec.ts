import type { Bus } from '@glimpse/platform';
import type { StreamInfo } from 'nats';
import { EventStream } from './event-stream';

const config = { EVENTS_MAX_AGE_DAYS: 30, EVENTS_PUBLISH_TIMEOUT_MS: 1000 };

/** An EventStream whose JetStream answers stream info with `info` (or fails with it). */
function streamWith(info: Partial<StreamInfo> | Error) {
  const streams = { info: async () => (info instanceof Error ? Promise.reject(info) : info) };
  const bus = { nc: { jetstreamManager: async () => ({ streams }) } } as unknown as Bus;
  return new EventStream(bus, config);
}
const r3 = (leader: string | undefined, replicas: Array<{ name: string; current: boolean; offline?: boolean }>) =>
  ({ config: { num_replicas: 3 }, cluster: { name: 'glimpse', leader, replicas } }) as unknown as StreamInfo;

describe('EventStream.describe (health)', () => {
  it('names the replicas and the leader while a quorum is current', async () => {
    const s = streamWith(
      r3('nats-2', [
        { name: 'nats-1', current: true },
        { name: 'nats-3', current: false, offline: true },
      ]),
    );
    await expect(s.describe(500)).resolves.toEqual({
      ok: true,
      detail: 'GLIMPSE_EVENTS R3, leader nats-2, not current: nats-3',
    });
  });

  it('is not ok when the leader is alone (two of three nodes lost) or there is no leader', async () => {
    const alone = streamWith(
      r3('nats-2', [
        { name: 'nats-1', current: false, offline: true },
        { name: 'nats-3', current: false },
      ]),
    );
    await expect(alone.describe(500)).resolves.toEqual({
      ok: false,
      detail:
        'GLIMPSE_EVENTS R3, leader nats-2, not current: nats-1, nats-3: 1 of 3 replicas current, no quorum; events wait in the outbox',
    });
    await expect(streamWith(r3(undefined, [])).describe(500)).resolves.toMatchObject({
      ok: false,
      detail: expect.stringMatching(/no leader \(no quorum\)/),
    });
  });

  it('is ok before the stream exists, and rejects when JetStream does not answer', async () => {
    await expect(
      streamWith(Object.assign(new Error('stream not found'), { api_error: { err_code: 10059 } })).describe(500),
    ).resolves.toEqual({
      ok: true,
      detail: 'GLIMPSE_EVENTS not created yet',
    });
    await expect(streamWith(new Error('TIMEOUT')).describe(500)).rejects.toThrow('TIMEOUT');
  });
});
