/**
 * Webhooks (issue #4) end to end: the real gateway app (in-process, restarted twice, two instances at once at
 * the end) on a private nats-server with JetStream, GLIMPSE_EVENTS created here and events published
 * directly, and local HTTP receivers. The first receiver fails its first 3 deliveries and still gets every
 * event exactly once, in order, each validly signed; a second one only the types it asked for.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Events } from '@glimpse/contracts';
import { connect, headers as natsHeaders, nanos, StorageType, type NatsConnection } from 'nats';
import { until } from '@glimpse/testing';
import { createApp } from '../../services/gateway/src/app';
import { loadGatewayConfig } from '../../services/gateway/src/config';
import { verify } from '../../services/gateway/src/webhooks/webhook.model';
import { WebhooksService } from '../../services/gateway/src/webhooks/webhooks.service';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';
import { authed, TEST_ADMIN_KEY } from '../support/auth';

// The webhook routes need the admin scope: the bootstrap key, sent as X-API-Key (any Bearer token that is not a
// glk_ key is read as a camera session token).
const authedFetch = authed(() => TEST_ADMIN_KEY);
const fetch: typeof globalThis.fetch = (input, init = {}) =>
  authedFetch(input as string, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), 'X-API-Key': TEST_ADMIN_KEY },
  });

jest.setTimeout(120_000);

const SECRET_ALL = 'all-events-secret-0123456789';
const SECRET_PERSONS = 'persons-only-secret-0123456789';

interface Received {
  id: string;
  type: string;
  signatureOk: boolean;
  contentType: string | undefined;
  attempt: string | undefined;
  status: number;
}

/** A webhook receiver: answers 500 to its first `failFirst` requests, then 200 (after `delayMs`). */
async function receiver(secret: string, failFirst: number, delayMs = 0) {
  const requests: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(raw.toString('utf8')) as { id: string; type: string };
      const ts = String(req.headers['glimpse-timestamp']);
      const status = requests.length < failFirst ? 500 : 200;
      requests.push({
        id: body.id,
        type: body.type,
        signatureOk:
          verify(secret, ts, raw, String(req.headers['glimpse-signature'])) &&
          req.headers['glimpse-event-id'] === body.id &&
          req.headers['glimpse-event-type'] === body.type,
        contentType: req.headers['content-type'],
        attempt: req.headers['glimpse-delivery-attempt'] as string | undefined,
        status,
      });
      setTimeout(() => res.writeHead(status).end(status === 200 ? 'ok' : 'nope'), status === 200 ? delayMs : 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    requests,
    accepted: () => requests.filter((r) => r.status === 200),
    failed: () => requests.filter((r) => r.status !== 200),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('webhooks', () => {
  let nats: PrivateNats;
  let nc: NatsConnection;
  const gateways: NestExpressApplication[] = [];
  // Private destinations are refused by default; the local receivers need an explicit opt-in.
  const WEBHOOK_ENV = {
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_INITIAL_BACKOFF_MS: '150',
    WEBHOOK_MAX_BACKOFF_MS: '600',
    WEBHOOK_TIMEOUT_MS: '3000',
  };

  async function startGateway(
    name: string,
    env: Record<string, string> = {},
  ): Promise<{ app: NestExpressApplication; url: string }> {
    const cfg = loadGatewayConfig({
      NATS_URL: nats.url,
      LOG_LEVEL: 'error',
      ADMIN_API_KEY: TEST_ADMIN_KEY,
      INSTANCE_ID: name,
      UPLOAD_DIR: nats.storeDir,
      ...WEBHOOK_ENV,
      ...env,
    });
    const app = await createApp(cfg, false);
    await app.listen(0, '127.0.0.1');
    gateways.push(app);
    return { app, url: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}` };
  }
  async function stopGateway(app: NestExpressApplication): Promise<void> {
    await app.close();
    gateways.splice(gateways.indexOf(app), 1);
  }

  const published: { id: string; type: Events.EventType }[] = [];
  async function publish(type: Events.EventType): Promise<string> {
    const personId = randomUUID();
    const id = Events.eventId(type, personId, published.length);
    const envelope = { id, type, occurredAt: new Date().toISOString(), data: { personId, n: published.length } };
    const h = natsHeaders();
    h.set('Content-Type', 'application/json');
    await nc
      .jetstream()
      .publish(Events.subjectFor(type, personId), JSON.stringify(envelope), { msgID: id, headers: h });
    published.push({ id, type });
    return id;
  }

  beforeAll(async () => {
    nats = await startPrivateNats();
    nc = await connect({ servers: nats.url });
    await (
      await nc.jetstreamManager()
    ).streams.add({
      name: Events.STREAM,
      subjects: [Events.ALL_SUBJECTS],
      storage: StorageType.File,
      duplicate_window: nanos(120_000),
    });
  });

  afterAll(async () => {
    for (const app of [...gateways]) await app.close().catch(() => undefined);
    await nc?.close();
    await nats?.stop();
  });

  it('validates registrations and never echoes the secret', async () => {
    const { app, url } = await startGateway('gw-validate');
    const postJson = (body: unknown, contentType = 'application/json') =>
      fetch(`${url}/api/v1/webhooks`, {
        method: 'POST',
        headers: { 'Content-Type': contentType },
        body: JSON.stringify(body),
      });
    const ok = { url: 'https://hooks.example.com/x', secret: 's'.repeat(16), events: ['*'] };

    for (const [body, pattern] of [
      [{ ...ok, secret: 'short' }, /secret/],
      [{ ...ok, url: 'ftp://hooks.example.com/' }, /http and https/],
      [{ ...ok, events: ['person.exploded'] }, /events/],
      [{ ...ok, extra: 1 }, /extra/],
    ] as const) {
      const res = await postJson(body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((await res.json()).detail).toMatch(pattern);
    }
    expect((await postJson(ok, 'text/plain')).status).toBe(415);
    expect((await globalThis.fetch(`${url}/api/v1/webhooks`)).status).toBe(401); // needs the admin scope
    const bad = await fetch(`${url}/api/v1/webhooks`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{',
    });
    expect(bad.status).toBe(400);

    const created = await postJson(ok);
    expect(created.status).toBe(201);
    const text = await created.text();
    expect(text).not.toContain(ok.secret);
    const hook = JSON.parse(text) as { id: string; url: string; events: string[]; active: boolean };
    expect(hook).toMatchObject({ url: ok.url, events: ['*'], active: true });
    const listed = await (await fetch(`${url}/api/v1/webhooks`)).text();
    expect(listed).toContain(hook.id);
    expect(listed).not.toContain(ok.secret);
    expect((await fetch(`${url}/api/v1/webhooks/not-a-uuid`)).status).toBe(400);
    expect((await fetch(`${url}/api/v1/webhooks/${randomUUID()}`)).status).toBe(404);
    expect((await fetch(`${url}/api/v1/webhooks/${hook.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${url}/api/v1/webhooks/${hook.id}`)).status).toBe(404);
    await stopGateway(app);
  });

  it('lists every registered webhook (not just the first key of the bucket)', async () => {
    const { app, url } = await startGateway('gw-list');
    const ids: string[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await fetch(`${url}/api/v1/webhooks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ url: `https://hooks${i}.example.com/x`, secret: 's'.repeat(16), events: ['person.*'] }),
      });
      const created = (await res.json()) as { id: string };
      expect([res.status, created]).toEqual([201, expect.objectContaining({ id: expect.any(String) })]);
      ids.push(created.id);
    }
    const listed = (await (await fetch(`${url}/api/v1/webhooks`)).json()) as { items: { id: string }[]; total: number };
    expect(listed.total).toBe(11);
    expect(listed.items.map((w) => w.id).sort()).toEqual([...ids].sort());
    for (const id of ids) expect((await fetch(`${url}/api/v1/webhooks/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await (await fetch(`${url}/api/v1/webhooks`)).json()).total).toBe(0);
    await stopGateway(app);
  });

  it('refuses loopback, private, link-local and metadata destinations unless allowed', async () => {
    const { app, url } = await startGateway('gw-ssrf');
    const gatewayPort = new URL(url).port;
    const natsPort = new URL(nats.url).port;
    for (const target of [
      `http://127.0.0.2:${gatewayPort}/`, // loopback outside the allowed 127.0.0.1
      `http://localhost:${natsPort}/`,
      'http://10.0.0.5/hook',
      'http://192.168.1.20/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/hook',
    ]) {
      const res = await fetch(`${url}/api/v1/webhooks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ url: target, secret: 's'.repeat(16) }),
      });
      expect([target, res.status]).toEqual([target, 400]);
      expect((await res.json()).detail).toMatch(/WEBHOOK_ALLOWED_HOSTS/);
    }
    await stopGateway(app);
  });

  it('delivers every event exactly once, in order and signed, across retries and gateway restarts', async () => {
    const all = await receiver(SECRET_ALL, 3, 30);
    const persons = await receiver(SECRET_PERSONS, 0);
    try {
      let gw = await startGateway('gw-1');
      const register = async (base: string, body: unknown) => {
        const res = await fetch(`${base}/api/v1/webhooks`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(res.status).toBe(201);
        return ((await res.json()) as { id: string }).id;
      };
      const allId = await register(gw.url, { url: all.url, secret: SECRET_ALL, events: ['*'] });
      await register(gw.url, { url: persons.url, secret: SECRET_PERSONS, events: ['person.*'] });

      const types: Events.EventType[] = [
        'person.created',
        'sighting.started',
        'sighting.updated',
        'person.renamed',
        'sighting.ended',
      ];
      for (let i = 0; i < 10; i++) await publish(types[i % types.length]!);

      // Restart 1: during the retries of the first event (after 2 of its 3 failures).
      await until('2 failed deliveries', () => all.failed().length >= 2, 30_000);
      await stopGateway(gw.app);
      const afterFirstStop = all.requests.length;
      await new Promise((r) => setTimeout(r, 700)); // a window for deliveries that must not come
      expect(all.requests.length).toBe(afterFirstStop); // a stopped gateway delivers nothing

      // Restart 2: mid-way through the stream.
      gw = await startGateway('gw-2');
      await until('4 accepted deliveries', () => all.accepted().length >= 4, 30_000);
      await stopGateway(gw.app);

      // Two instances at once: each event still goes to one of them, in order.
      const [a, b] = [await startGateway('gw-3a'), await startGateway('gw-3b')];
      await until('all 10 events accepted', () => all.accepted().length >= 10, 30_000);
      await until('the person events accepted', () => persons.accepted().length >= 4, 30_000);
      await new Promise((r) => setTimeout(r, 1000)); // anything extra would arrive now

      expect(all.failed()).toHaveLength(3);
      expect(all.accepted().map((r) => r.id)).toEqual(published.map((p) => p.id));
      expect(all.requests.every((r) => r.signatureOk && r.contentType === 'application/json')).toBe(true);
      expect(all.failed().map((r) => r.id)).toEqual([published[0]!.id, published[0]!.id, published[0]!.id]);
      // JetStream's delivery count survived the restart (an event handed back at shutdown counts too).
      const attempts = all.requests.slice(0, 4).map((r) => Number(r.attempt));
      expect(attempts[0]).toBe(1);
      for (let i = 1; i < attempts.length; i++) expect(attempts[i]).toBeGreaterThan(attempts[i - 1]!);
      expect(all.requests.slice(4).every((r) => r.attempt === '1')).toBe(true);

      const personEvents = published.filter((p) => p.type.startsWith('person.')).map((p) => p.id);
      expect(persons.requests.map((r) => r.id)).toEqual(personEvents);
      expect(persons.requests.every((r) => r.signatureOk)).toBe(true);
      expect(persons.requests.every((r) => r.status === 200)).toBe(true);

      // Stats, from either instance.
      const stats = (await (await fetch(`${b.url}/api/v1/webhooks/${allId}`)).json()) as {
        stats: Record<string, unknown>;
      };
      expect(stats.stats).toMatchObject({ delivered: 10, failedAttempts: 3, lastError: 'HTTP 500', pending: 0 });
      expect(a.app.get(WebhooksService).running()).toContain(allId);

      // Deleting on one instance stops deliveries on both.
      expect((await fetch(`${a.url}/api/v1/webhooks/${allId}`, { method: 'DELETE' })).status).toBe(204);
      await until(
        'gw-3b to drop the deleted webhook',
        () => !b.app.get(WebhooksService).running().includes(allId),
        5000,
      );
      const before = all.requests.length;
      await publish('person.created');
      await until(
        'the person webhook to get the new event',
        () => persons.requests.length === personEvents.length + 1,
        30_000,
      );
      await new Promise((r) => setTimeout(r, 700)); // a window for deliveries that must not come
      expect(all.requests.length).toBe(before);
      expect((await fetch(`${b.url}/api/v1/webhooks/${allId}`)).status).toBe(404);
      await expect((await nc.jetstreamManager()).consumers.info(Events.STREAM, `webhook_${allId}`)).rejects.toThrow();
      await stopGateway(a.app);
      await stopGateway(b.app);
    } finally {
      await all.close();
      await persons.close();
    }
  });
  it('backs off 1x, 2x, 4x … per webhook while its receiver keeps failing', async () => {
    const hits: { path: string; at: number }[] = [];
    const server = createServer((req, res) => {
      hits.push({ path: req.url ?? '', at: Date.now() });
      req.resume();
      req.on('end', () => res.writeHead(503).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { app, url } = await startGateway('gw-backoff', {
      WEBHOOK_INITIAL_BACKOFF_MS: '400',
      WEBHOOK_MAX_BACKOFF_MS: '10000',
    });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${url}/api/v1/webhooks`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ url: `${target}/h${i}`, secret: 's'.repeat(16) }),
        });
        ids.push(((await res.json()) as { id: string }).id);
      }
      for (let i = 0; i < 5; i++) await publish('person.created');
      await until(
        'a 4th attempt per webhook',
        () => [0, 1, 2].every((i) => hits.filter((h) => h.path === `/h${i}`).length >= 4),
        15_000,
      );
      for (let i = 0; i < 3; i++) {
        const times = hits.filter((h) => h.path === `/h${i}`).map((h) => h.at);
        const gaps = times.slice(1, 4).map((t, n) => t - times[n]!);
        // 400, 800, 1600 ms (a little timer slack allowed, never early by more than that)
        expect(gaps.map((g, n) => g >= 400 * 2 ** n * 0.9)).toEqual([true, true, true]);
        const stats = (await (await fetch(`${url}/api/v1/webhooks/${ids[i]}`)).json()) as {
          stats: { failedAttempts: number };
        };
        expect(stats.stats.failedAttempts).toBeLessThanOrEqual(times.length);
        expect(stats.stats.failedAttempts).toBeGreaterThanOrEqual(4);
      }
      for (const id of ids) await fetch(`${url}/api/v1/webhooks/${id}`, { method: 'DELETE' });
    } finally {
      await stopGateway(app);
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
