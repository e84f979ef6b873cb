/**
 * Refusals before the body is read (early auth) and rate limits, on a real in-process gateway with a
 * private nats-server (no recognizer or matcher needed: every request here is refused, or answered by
 * the gateway itself, before one would be asked). Client addresses come from X-Forwarded-For with
 * TRUST_PROXY=loopback, so one test process can be several clients.
 */
import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { TEST_ADMIN_KEY } from '../support/auth';
import { startGateway } from '../support/gateway';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';

jest.setTimeout(120_000);

let nats: PrivateNats;
let app: NestExpressApplication;
let base: string;
let port: number;
/** The UI's files: a page, so that the per-address block can be seen on static files too. */
const publicDir = mkdtempSync(join(tmpdir(), 'glimpse-rate-public-'));

beforeAll(async () => {
  mkdirSync(publicDir, { recursive: true });
  writeFileSync(join(publicDir, 'index.html'), '<!doctype html><title>ui</title>');
  nats = await startPrivateNats();
  ({ app, port, base } = await startGateway(nats.url, nats.storeDir, {
    INSTANCE_ID: 'rate-limit-it',
    PUBLIC_DIR: publicDir,
    GATHER_TIMEOUT_MS: '50',
    HEALTH_TIMEOUT_MS: '200',
    TRUST_PROXY: 'loopback',
    RATE_LIMIT_SESSIONS_PER_MIN: '5',
    RATE_LIMIT_AUTH_PER_MIN: '5',
    RATE_LIMIT_API_PER_MIN: '20',
  }));
});

afterAll(async () => {
  await app?.close();
  await nats?.stop();
  rmSync(publicDir, { recursive: true, force: true });
});

const from = (ip: string, key?: string, extra: Record<string, string> = {}) => ({
  'x-forwarded-for': ip,
  ...(key ? { authorization: `Bearer ${key}` } : {}),
  ...extra,
});
const post = (path: string, headers: Record<string, string>, body = '{}') =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

async function createKey(name: string, scopes: string[]): Promise<string> {
  const res = await post('/api/v1/api-keys', from('198.51.100.250', TEST_ADMIN_KEY), JSON.stringify({ name, scopes }));
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

async function expect429(res: Response, detail: RegExp): Promise<void> {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(await res.json()).toMatchObject({
    status: 429,
    code: 'TOO_MANY_REQUESTS',
    detail: expect.stringMatching(detail),
  });
}

describe('refusal before the body is read', () => {
  it('answers a 30 MB upload without credentials with 401 long before it is sent, and closes the connection', async () => {
    const total = 30 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0xab);
    const started = Date.now();
    const outcome = await new Promise<{
      status: number;
      sentAtResponse: number;
      ms: number;
      body: string;
      connection?: string;
    }>((resolve, reject) => {
      let sent = 0;
      let done = false;
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/recognize',
        headers: { 'content-type': 'image/jpeg', 'content-length': total },
      });
      req.on('response', (res) => {
        const sentAtResponse = sent;
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          done = true;
          resolve({
            status: res.statusCode ?? 0,
            sentAtResponse,
            ms: Date.now() - started,
            body,
            connection: res.headers.connection,
          });
          req.destroy();
        });
      });
      req.on('error', (err) => (done ? undefined : reject(err)));
      const pump = () => {
        while (!done && sent < total) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', () => setTimeout(pump, 5));
        }
        if (!done) req.end();
      };
      pump();
    });
    expect(outcome.status).toBe(401);
    expect(JSON.parse(outcome.body)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(outcome.connection).toBe('close');
    // the client had written at most a few socket buffers when the answer came: the gateway never read the upload
    expect(outcome.sentAtResponse).toBeLessThan(total / 4);
    console.log(
      `401 after ${outcome.ms} ms, with ${(outcome.sentAtResponse / 1024 / 1024).toFixed(1)} of 30 MiB written by the client`,
    );
  });

  it('refuses a key without the write scope before reading its upload (403)', async () => {
    const reader = await createKey('reader', ['read']);
    const res = await fetch(`${base}/api/v1/recognize`, {
      method: 'POST',
      headers: from('198.51.100.251', reader, { 'content-type': 'image/jpeg' }),
      body: Buffer.alloc(1024 * 1024),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('connection')).toBe('close');
  });
});

describe('rate limits', () => {
  it('stops a session-creation flood per API key and per address; another key elsewhere is unaffected', async () => {
    const a = await createKey('flood-a', ['write']);
    const b = await createKey('flood-b', ['write']);
    const statuses: number[] = [];
    let session: { token: string; whipUrl: string } | undefined;
    for (let i = 0; i < 8; i++) {
      const res = await post('/api/v1/sessions', from('203.0.113.1', a));
      statuses.push(res.status);
      if (res.status === 429) await expect429(res, /live sessions/);
      else session ??= (await res.json()) as { token: string; whipUrl: string };
    }
    expect(statuses.slice(0, 5)).toEqual([201, 201, 201, 201, 201]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    // key B from another address: its own buckets
    expect((await post('/api/v1/sessions', from('203.0.113.2', b))).status).toBe(201);
    // key A from a fresh address: still its key's limit
    await expect429(await post('/api/v1/sessions', from('203.0.113.3', a)), /for this API key/);
    // key B from A's address: that address's limit
    await expect429(await post('/api/v1/sessions', from('203.0.113.1', b)), /from this address/);
    // WHIP offers count per address and per session (a malformed offer is a 400 from the handler)
    const offer = (ip: string) =>
      post(session!.whipUrl, from(ip, session!.token, { 'content-type': 'application/sdp' }), 'v=0');
    const offers: number[] = [];
    for (let i = 0; i < 5; i++) offers.push((await offer('203.0.113.4')).status);
    expect(offers).toEqual([400, 400, 400, 400, 400]);
    await expect429(await offer('203.0.113.4'), /WHIP offers from this address/);
    await expect429(await offer('203.0.113.5'), /WHIP offers for this session/);
  });

  it('stops sign-in brute force per address; /healthz and other addresses still answer', async () => {
    const guesses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await post(
        '/api/v1/auth/session',
        from('192.0.2.7'),
        JSON.stringify({ key: `glk_AAAAAAAAAAAAAAAA_${String(i).padEnd(43, 'x')}` }),
      );
      guesses.push(res.status);
      await res.arrayBuffer();
    }
    expect(guesses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // bad bearer keys on other routes count against the same address, which is now refused outright
    await expect429(
      await fetch(`${base}/api/v1/persons`, { headers: from('192.0.2.7', `glk_BBBBBBBBBBBBBBBB_${'y'.repeat(43)}`) }),
      /invalid credentials/,
    );
    const health = await fetch(`${base}/healthz`, { headers: from('192.0.2.7') });
    expect([200, 503]).toContain(health.status); // no recognizer or matcher here: 503, but answered
    expect(await health.json()).toHaveProperty('checks');
    expect(
      (await post('/api/v1/auth/session', from('192.0.2.8'), JSON.stringify({ key: TEST_ADMIN_KEY }))).status,
    ).toBe(201);
  });

  it('counts invalid credentials on any route against the address', async () => {
    const seen: number[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`${base}/api/v1/streams`, {
        headers: from('192.0.2.9', `glk_CCCCCCCCCCCCCCCC_${String(i).padEnd(43, 'z')}`),
      });
      seen.push(res.status);
      await res.arrayBuffer();
    }
    expect(seen).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // no credential at all is no guess: never counted
    const anonymous: number[] = [];
    for (let i = 0; i < 7; i++)
      anonymous.push((await fetch(`${base}/api/v1/streams`, { headers: from('192.0.2.10') })).status);
    expect(anonymous).toEqual([401, 401, 401, 401, 401, 401, 401]);
  });

  it('counts wrong WebSocket keys (?key=) against the same per-address budget as HTTP', async () => {
    /** Opens /ws from `ip`: the close code (4401: upgraded, then refused) or the HTTP status of a refused upgrade. */
    const ws = (ip: string, query: string) =>
      new Promise<number>((resolve, reject) => {
        const sock = new WebSocket(`ws://127.0.0.1:${port}/ws?${query}`, { headers: { 'x-forwarded-for': ip } });
        sock.once('unexpected-response', (_req, res) => (res.resume(), resolve(res.statusCode ?? 0)));
        sock.once('close', (code) => resolve(code));
        sock.once('error', (err) => (/Unexpected server response/.test(err.message) ? undefined : reject(err)));
      });
    const badKey = (i: number) => `key=glk_DDDDDDDDDDDDDDDD_${String(i).padEnd(43, 'q')}`;
    const seen: number[] = [];
    for (let i = 0; i < 7; i++) seen.push(await ws('192.0.2.31', badKey(i)));
    expect(seen).toEqual([4401, 4401, 4401, 4401, 4401, 429, 429]);
    // one budget for both: HTTP guesses spend it for /ws, /ws guesses (keys, session tokens) for HTTP
    for (let i = 0; i < 3; i++)
      expect(
        (
          await fetch(`${base}/api/v1/streams`, {
            headers: from('192.0.2.32', `glk_EEEEEEEEEEEEEEEE_${String(i).padEnd(43, 'z')}`),
          })
        ).status,
      ).toBe(401);
    expect(await ws('192.0.2.32', badKey(10))).toBe(4401);
    expect(await ws('192.0.2.32', 'token=not-a-session-token')).toBe(4401);
    expect(await ws('192.0.2.32', badKey(11))).toBe(429);
    expect(
      (
        await fetch(`${base}/api/v1/streams`, {
          headers: from('192.0.2.32', `glk_EEEEEEEEEEEEEEEE_${'9'.padEnd(43, 'z')}`),
        })
      ).status,
    ).toBe(429);
    // another address is unaffected
    expect(await ws('192.0.2.33', badKey(12))).toBe(4401);
  });

  it('counts bearer guesses at ADMIN_API_KEY (no glk_ prefix) as failed auth, over HTTP and /ws', async () => {
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${base}/api/v1/streams`, { headers: from('192.0.2.41', `guess${i}`) });
      seen.push(res.status);
      await res.arrayBuffer();
    }
    expect(seen).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    /** Opens /ws from `ip` with `Authorization: Bearer <bearer>`: the close code, or the status of a refused upgrade. */
    const ws = (ip: string, bearer: string) =>
      new Promise<number>((resolve, reject) => {
        const sock = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
          headers: { 'x-forwarded-for': ip, authorization: `Bearer ${bearer}` },
        });
        sock.once('unexpected-response', (_req, res) => (res.resume(), resolve(res.statusCode ?? 0)));
        sock.once('close', (code) => resolve(code));
        sock.once('error', (err) => (/Unexpected server response/.test(err.message) ? undefined : reject(err)));
      });
    const overWs: number[] = [];
    for (let i = 0; i < 7; i++) overWs.push(await ws('192.0.2.42', `ws-guess${i}`));
    expect(overWs).toEqual([4401, 4401, 4401, 4401, 4401, 429, 429]);
  });

  it('blocks an address over its failed-auth budget from the docs and the static files too', async () => {
    const page = (ip: string, path: string) => fetch(`${base}${path}`, { headers: from(ip) });
    expect((await page('192.0.2.51', '/')).status).toBe(200);
    expect((await page('192.0.2.51', '/api/docs/openapi.json')).status).toBe(200);
    for (let i = 0; i < 5; i++)
      await (
        await fetch(`${base}/api/v1/streams`, {
          headers: from('192.0.2.51', `glk_FFFFFFFFFFFFFFFF_${String(i).padEnd(43, 'w')}`),
        })
      ).arrayBuffer();
    for (const path of ['/', '/index.html', '/api/docs', '/api/docs/openapi.json'])
      await expect429(await page('192.0.2.51', path), /invalid credentials/);
    const health = await page('192.0.2.51', '/healthz');
    expect([200, 503]).toContain(health.status); // /healthz stays open, as for every other refusal
    expect((await page('192.0.2.52', '/')).status).toBe(200);
    expect((await page('192.0.2.52', '/api/docs/openapi.json')).status).toBe(200);
  });

  it('limits requests per API key; another key is unaffected', async () => {
    const c = await createKey('busy-c', ['read']);
    const d = await createKey('calm-d', ['read']);
    const seen: number[] = [];
    for (let i = 0; i < 23; i++) {
      const res = await fetch(`${base}/api/v1/streams`, { headers: from(`198.51.100.${i}`, c) });
      seen.push(res.status);
      await res.arrayBuffer();
    }
    expect(seen.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(seen.slice(20)).toEqual([429, 429, 429]);
    expect((await fetch(`${base}/api/v1/streams`, { headers: from('198.51.100.1', d) })).status).toBe(200);
  });
});
