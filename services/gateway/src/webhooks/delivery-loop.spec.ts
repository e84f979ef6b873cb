import type { Bus } from '@glimpse/platform';
import { addressPolicy } from '@glimpse/platform';
import { DeliveryLoop, type LoopDeps } from './delivery-loop';
import type { WebhookStore } from './webhook-store';

/** A broker that hands the failing event straight back, its delivery count stuck at 1 (the worst case). */
function fakeBroker(deliveryCount: (pull: number) => number) {
  const msg = {
    subject: 'glimpse.events.person.created.p1',
    data: new TextEncoder().encode(JSON.stringify({ id: 'person.created:p1:0' })),
    seq: 7,
    info: { redeliveryCount: 0 },
    nak: jest.fn(),
    ackAck: jest.fn(async () => true),
  };
  let pulls = 0;
  const consumer = { next: jest.fn(async () => ((msg.info = { redeliveryCount: deliveryCount(++pulls) }), msg)) };
  const bus = {
    nc: {
      jetstreamManager: async () => ({ consumers: { info: async () => ({}) } }),
      jetstream: () => ({ consumers: { get: async () => consumer } }),
    },
  } as unknown as Bus;
  return { msg, bus };
}

describe('DeliveryLoop backoff (fake clock)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  async function attemptTimes(
    deliveryCount: (pull: number) => number,
    attempts: number,
  ): Promise<{ times: number[]; naks: unknown[] }> {
    const { msg, bus } = fakeBroker(deliveryCount);
    const times: number[] = [];
    const deps: LoopDeps = {
      bus,
      store: { updateStats: async () => undefined, get: async () => null } as unknown as WebhookStore,
      cfg: { policy: addressPolicy(false), timeoutMs: 1000, initialBackoffMs: 1000, maxBackoffMs: 60_000 },
      log: { log: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined },
      // each POST takes 10 ms and fails
      send: async () => (
        times.push(Date.now()),
        await new Promise((r) => setTimeout(r, 10)),
        { ok: false, error: 'HTTP 500' }
      ),
    };
    const loop = new DeliveryLoop(
      {
        id: '00000000-0000-4000-8000-000000000001',
        url: 'https://hooks.example.com/',
        secret: 's'.repeat(16),
        events: ['*'],
        createdAt: new Date(0).toISOString(),
        active: true,
      },
      deps,
    );
    for (let i = 0; i < 200 && times.length < attempts; i++) await jest.advanceTimersByTimeAsync(100);
    let stopped = false;
    void loop.stop().then(() => (stopped = true));
    while (!stopped) await jest.advanceTimersByTimeAsync(10); // the POST in flight finishes first
    return { times, naks: msg.nak.mock.calls.map((c) => c[0]) };
  }

  it('waits 1 s, 2 s, 4 s, 8 s between attempts even when the broker redelivers at once', async () => {
    const { times, naks } = await attemptTimes(() => 1, 5);
    expect(times.slice(1, 5).map((t, i) => t - times[i]!)).toEqual([1010, 2010, 4010, 8010]);
    expect(naks.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
  });

  it("follows JetStream's delivery count when it is higher (a restart mid-schedule)", async () => {
    const { times } = await attemptTimes((pull) => pull + 2, 3);
    expect(times.slice(1, 3).map((t, i) => t - times[i]!)).toEqual([4010, 8010]);
  });
});
