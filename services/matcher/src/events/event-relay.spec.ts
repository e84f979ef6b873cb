import { Logger } from '@nestjs/common';
import { strictMock } from '@glimpse/testing';
import { EventRelay } from './event-relay';
import type { EventStream } from './event-stream';
import type { OutboxRepository, OutboxRow } from './outbox.repository';

const publish = (seq: number): OutboxRow => ({
  seq: BigInt(seq),
  kind: 'publish',
  eventId: `e:${seq}`,
  subject: `glimpse.events.x.y.${seq}`,
  payload: `{"n":${seq}}`,
});
const erase = (seq: number, ...personIds: string[]): OutboxRow => ({
  seq: BigInt(seq),
  kind: 'erase',
  eventId: `erase:${seq}`,
  personIds,
});

/** An outbox over an array: next() returns what remove() has not taken yet. */
function setup(rows: OutboxRow[], lease = true) {
  let left = [...rows];
  const outbox = strictMock<OutboxRepository>('outbox', {
    lease: jest.fn().mockResolvedValue(lease),
    releaseLease: jest.fn().mockResolvedValue(undefined),
    next: jest.fn(async (limit: number) => left.slice(0, limit)),
    remove: jest.fn(async (seqs: readonly bigint[]) => void (left = left.filter((r) => !seqs.includes(r.seq)))),
    pending: jest.fn(async () => left.length),
  });
  const stream = strictMock<EventStream>('stream', {
    ensure: jest.fn().mockResolvedValue(undefined),
    publish: jest.fn().mockResolvedValue({ seq: 1, duplicate: false }),
    erase: jest.fn().mockResolvedValue(3),
  });
  const relay = new EventRelay(outbox, stream, { EVENTS_RELAY_INTERVAL_MS: 60_000 }, 'matcher-1');
  const sleeps: number[] = [];
  (relay as unknown as { sleep: (ms: number) => Promise<void> }).sleep = async (ms) => void sleeps.push(ms);
  return { relay, outbox, stream, sleeps, left: () => left };
}

beforeEach(() => {
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

async function runOnce(relay: EventRelay): Promise<void> {
  relay.onApplicationBootstrap();
  await (relay as unknown as { running?: Promise<void> }).running;
  await relay.onModuleDestroy();
}

describe('EventRelay', () => {
  it('publishes in outbox order with the event id as de-duplication id, then removes what was acknowledged', async () => {
    const { relay, stream, outbox, left } = setup([publish(1), erase(2, 'p1', 'p2'), publish(3)]);
    await runOnce(relay);
    expect(stream.ensure).toHaveBeenCalledTimes(1);
    expect(stream.publish.mock.calls).toEqual([
      ['glimpse.events.x.y.1', '{"n":1}', 'e:1'],
      ['glimpse.events.x.y.3', '{"n":3}', 'e:3'],
    ]);
    expect(stream.erase).toHaveBeenCalledWith(['p1', 'p2']);
    expect(stream.erase.mock.invocationCallOrder[0]).toBeLessThan(stream.publish.mock.invocationCallOrder[1]);
    expect(outbox.lease).toHaveBeenCalledWith('matcher-1', 600_000);
    expect(left()).toEqual([]);
    expect(relay.health()).toEqual({ ok: true, detail: '2 events published' });
  });

  it('retries a failed publish with backoff and succeeds without losing or repeating anything', async () => {
    const { relay, stream, sleeps, left } = setup([publish(1), publish(2)]);
    stream.publish.mockRejectedValueOnce(new Error('timeout')).mockRejectedValueOnce(new Error('timeout'));
    await runOnce(relay);
    expect(sleeps).toEqual([100, 400]);
    expect(stream.publish.mock.calls.map(([, , id]) => id)).toEqual(['e:1', 'e:1', 'e:1', 'e:2']);
    expect(stream.ensure).toHaveBeenCalledTimes(3); // once, then again after each failure (the stream may be gone)
    expect(left()).toEqual([]);
  });

  it('keeps an event that cannot be published in the outbox, keeps what was published before it removed, and reports it', async () => {
    const { relay, stream, left } = setup([publish(1), publish(2), publish(3)]);
    stream.publish.mockResolvedValueOnce({ seq: 1, duplicate: false }).mockRejectedValue(new Error('no responders'));
    await runOnce(relay);
    expect(stream.publish).toHaveBeenCalledTimes(5); // e:1 once, e:2 four times; e:3 waits behind it
    expect(left().map((r) => r.eventId)).toEqual(['e:2', 'e:3']);
    expect(relay.health()).toEqual({ ok: false, detail: 'no responders (retrying)' });
    expect(Logger.prototype.warn).toHaveBeenCalledWith(expect.stringContaining('they stay in the outbox'));
  });

  it('relays nothing while another instance holds the lease', async () => {
    const { relay, stream, outbox } = setup([publish(1)], false);
    await runOnce(relay);
    expect(outbox.next).not.toHaveBeenCalled();
    expect(stream.publish).not.toHaveBeenCalled();
  });

  it('takes no lease while the outbox stays empty once the stream is ensured', async () => {
    const { relay, outbox, stream } = setup([]);
    relay.onApplicationBootstrap();
    await (relay as unknown as { running?: Promise<void> }).running;
    expect(outbox.lease).toHaveBeenCalledTimes(1); // the first pass ensures the stream under the lease
    relay.kick();
    await (relay as unknown as { running?: Promise<void> }).running;
    expect(outbox.lease).toHaveBeenCalledTimes(1);
    expect(outbox.pending).toHaveBeenCalled();
    expect(stream.ensure).toHaveBeenCalledTimes(1);
    await relay.onModuleDestroy();
  });

  it('drain() waits until the outbox is empty', async () => {
    const { relay, left } = setup([publish(1), publish(2)]);
    relay.onApplicationBootstrap();
    await relay.drain(1000);
    expect(left()).toEqual([]);
    await relay.onModuleDestroy();
  });
});
