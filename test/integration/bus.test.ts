/** The typed bus against a real NATS server: envelopes, validation, errors, scatter-gather, drain. */
import { randomUUID } from 'node:crypto';
import { defineBinaryRequest, defineEvent, defineRequest, z } from '@glimpse/contracts';
import { Bus, GlimpseError } from '@glimpse/platform';

const servers = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const prefix = `test.bus.${randomUUID().slice(0, 8)}`;
const Double = defineRequest(`${prefix}.double`, z.strictObject({ n: z.number() }), z.strictObject({ n: z.number() }));
const Slow = defineRequest(`${prefix}.slow`, z.strictObject({ ms: z.number() }), z.strictObject({ done: z.boolean() }));
const Bytes = defineBinaryRequest(`${prefix}.bytes`, z.object({ 'X-Tag': z.string() }), z.strictObject({ len: z.number(), tag: z.string() }));
const Who = defineRequest(`${prefix}.who`, z.strictObject({}), z.strictObject({ name: z.string() }));
const Ping = defineEvent(`${prefix}.ping.*`, (id: string) => `${prefix}.ping.${id}`, z.strictObject({ id: z.string() }));

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

  it('validates requests and replies, and carries errors as typed GlimpseErrors', async () => {
    server.handle(Double, async ({ n }) => {
      if (n < 0) throw new GlimpseError('NOT_FOUND', 'no negatives here');
      return { n: n * 2 };
    });
    await new Promise((r) => setTimeout(r, 50));
    await expect(client.request(Double, { n: 21 })).resolves.toEqual({ n: 42 });
    await expect(client.request(Double, { n: -1 })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no negatives here' });
    // A malformed payload never reaches the handler: the responder answers INVALID_REQUEST.
    const raw = await client.nc.request(Double.subject, new TextEncoder().encode('{"n":"x"}'));
    expect(JSON.parse(new TextDecoder().decode(raw.data))).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  });

  it('turns no responders and timeouts into SERVICE_UNAVAILABLE and TIMEOUT', async () => {
    await expect(client.request(Who, {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    server.handle(Slow, async ({ ms }) => new Promise((r) => setTimeout(() => r({ done: true }), ms)));
    await new Promise((r) => setTimeout(r, 50));
    await expect(client.request(Slow, { ms: 500 }, 100)).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('sends raw bytes with validated headers', async () => {
    server.handleBinary(Bytes, async ({ body, headers }) => ({ len: body.length, tag: headers['X-Tag'] }));
    await new Promise((r) => setTimeout(r, 50));
    await expect(client.requestBinary(Bytes, new Uint8Array(1000), { 'X-Tag': 'hi' })).resolves.toEqual({ len: 1000, tag: 'hi' });
  });

  it('gathers replies from every responder', async () => {
    const other = await Bus.connect({ servers, name: 'bus-test-other' });
    server.handle(Who, async () => ({ name: 'a' }));
    other.handle(Who, async () => ({ name: 'b' }));
    await new Promise((r) => setTimeout(r, 50));
    const replies = await client.gather(Who, {}, 300);
    expect(replies.map((r) => r.name).sort()).toEqual(['a', 'b']);
    await other.close();
  });

  it('delivers only valid events', async () => {
    const got: string[] = [];
    server.subscribe(Ping, (p) => void got.push(p.id));
    await new Promise((r) => setTimeout(r, 50));
    client.publish(Ping, ['x'], { id: 'x' });
    client.nc.publish(`${prefix}.ping.bad`, new TextEncoder().encode('{"nope":1}'));
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual(['x']);
  });

  it('finishes in-flight work when closing', async () => {
    const worker = await Bus.connect({ servers, name: 'bus-test-drain' });
    const S = defineRequest(`${prefix}.drain`, z.strictObject({}), z.strictObject({ ok: z.boolean() }));
    let finished = 0;
    worker.handle(S, async () => {
      await new Promise((r) => setTimeout(r, 300));
      finished++;
      return { ok: true };
    }, { concurrency: 1 });
    await new Promise((r) => setTimeout(r, 50));
    const replies = [client.request(S, {}, 3000), client.request(S, {}, 3000)];
    await new Promise((r) => setTimeout(r, 100));
    await worker.close();
    expect(finished).toBe(2);
    await expect(Promise.all(replies)).resolves.toEqual([{ ok: true }, { ok: true }]);
  });
});
