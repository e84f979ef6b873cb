/** The typed bus against a real NATS server: envelopes, validation, errors, scatter-gather, drain. */
import { randomUUID } from 'node:crypto';
import { defineBinaryRequest, defineEvent, defineRequest, z } from '@glimpse/contracts';
import { Bus, GlimpseError } from '@glimpse/platform';
import { until } from '@glimpse/testing';

const servers = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const prefix = `test.bus.${randomUUID().slice(0, 8)}`;
const Double = defineRequest(`${prefix}.double`, z.strictObject({ n: z.number() }), z.strictObject({ n: z.number() }));
const Slow = defineRequest(`${prefix}.slow`, z.strictObject({ ms: z.number() }), z.strictObject({ done: z.boolean() }));
const Bytes = defineBinaryRequest(
  `${prefix}.bytes`,
  z.object({ 'X-Tag': z.string() }),
  z.strictObject({ len: z.number(), tag: z.string() }),
);
const Who = defineRequest(`${prefix}.who`, z.strictObject({}), z.strictObject({ name: z.string() }));
const Ping = defineEvent(
  `${prefix}.ping.*`,
  (id: string) => `${prefix}.ping.${id}`,
  z.strictObject({ id: z.string() }),
);

describe('Bus (real NATS)', () => {
  let server: Bus;
  let client: Bus;
  beforeAll(async () => {
    server = await Bus.connect({ servers, name: 'bus-test-server' });
    client = await Bus.connect({ servers, name: 'bus-test-client', requestTimeoutMs: 2000 });
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('creates streams and buckets with the configured replicas (NATS_REPLICAS), else as many as the server allows', async () => {
    // A single server: one replica, unless the service was configured with a count (a cluster behind
    // `no_advertise`, as the NATS Helm chart runs it, hides its size from the client).
    expect(client.jetStreamReplicas()).toBe(1);
    const configured = await Bus.connect({ servers, name: 'bus-test-replicas', replicas: 3 });
    try {
      expect(configured.jetStreamReplicas()).toBe(3);
      expect(configured.jetStreamReplicas(2)).toBe(2);
    } finally {
      await configured.close();
    }
  });

  it('validates requests and replies, and carries errors as typed GlimpseErrors', async () => {
    server.handle(Double, async ({ n }) => {
      if (n < 0) throw new GlimpseError('NOT_FOUND', 'no negatives here');
      return { n: n * 2 };
    });
    await server.nc.flush(); // the subscription is registered once the server has answered a ping after it
    await expect(client.request(Double, { n: 21 })).resolves.toEqual({ n: 42 });
    await expect(client.request(Double, { n: -1 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'no negatives here',
    });
    // A malformed payload never reaches the handler: the responder answers INVALID_REQUEST.
    const raw = await client.nc.request(Double.subject, new TextEncoder().encode('{"n":"x"}'));
    expect(JSON.parse(new TextDecoder().decode(raw.data))).toMatchObject({
      ok: false,
      error: { code: 'INVALID_REQUEST' },
    });
  });

  it('turns no responders and timeouts into SERVICE_UNAVAILABLE and TIMEOUT', async () => {
    await expect(client.request(Who, {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    server.handle(Slow, async ({ ms }) => new Promise((r) => setTimeout(() => r({ done: true }), ms)));
    await server.nc.flush();
    await expect(client.request(Slow, { ms: 500 }, 100)).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('sends raw bytes with validated headers', async () => {
    server.handleBinary(Bytes, async ({ body, headers }) => ({ len: body.length, tag: headers['X-Tag'] }));
    await server.nc.flush();
    await expect(client.requestBinary(Bytes, new Uint8Array(1000), { 'X-Tag': 'hi' })).resolves.toEqual({
      len: 1000,
      tag: 'hi',
    });
  });

  it('gathers replies from every responder', async () => {
    const other = await Bus.connect({ servers, name: 'bus-test-other' });
    server.handle(Who, async () => ({ name: 'a' }));
    other.handle(Who, async () => ({ name: 'b' }));
    await Promise.all([server.nc.flush(), other.nc.flush()]);
    const replies = await client.gather(Who, {}, 300);
    expect(replies.map((r) => r.name).sort()).toEqual(['a', 'b']);
    await other.close();
  });

  it('delivers only valid events', async () => {
    const got: string[] = [];
    server.subscribe(Ping, (p) => void got.push(p.id));
    await server.nc.flush();
    client.publish(Ping, ['x'], { id: 'x' });
    client.nc.publish(`${prefix}.ping.bad`, new TextEncoder().encode('{"nope":1}'));
    // events arrive in order: once the last one is in, the bad one has been dropped (or wrongly delivered)
    client.publish(Ping, ['z'], { id: 'z' });
    await until('the last event', () => got.includes('z'), 5_000);
    expect(got).toEqual(['x', 'z']);
  });

  it('finishes in-flight work when closing', async () => {
    const worker = await Bus.connect({ servers, name: 'bus-test-drain' });
    const S = defineRequest(`${prefix}.drain`, z.strictObject({}), z.strictObject({ ok: z.boolean() }));
    let finished = 0;
    worker.handle(
      S,
      async () => {
        await new Promise((r) => setTimeout(r, 300)); // the in-flight work close() must wait for
        finished++;
        return { ok: true };
      },
      { concurrency: 1 },
    );
    await worker.nc.flush();
    const replies = [client.request(S, {}, 3000), client.request(S, {}, 3000)];
    // both requests are at the server, and so routed to the worker, before it starts to drain
    await client.nc.flush();
    await worker.close();
    expect(finished).toBe(2);
    await expect(Promise.all(replies)).resolves.toEqual([{ ok: true }, { ok: true }]);
  });
});
