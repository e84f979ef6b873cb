/**
 * What the gateway tells browsers and whom it lets in, on a real in-process gateway with a private
 * nats-server: security headers and CSP (checked in headless Chromium: the page and the API docs run
 * without a single CSP violation), CORS for CORS_ORIGINS only, /ws refusing foreign origins, and the
 * scopes of routes that return faces (keys without the scope, session tokens of another stream).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { RecognitionEvent } from '@glimpse/contracts';
import { Bus } from '@glimpse/platform';
import { until } from '@glimpse/testing';
import { TEST_ADMIN_KEY } from '../support/auth';
import { CHROMIUM } from '../support/chromium';
import { startGateway } from '../support/gateway';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';

jest.setTimeout(120_000);

const APP_ORIGIN = 'https://app.example';

let nats: PrivateNats;
let app: NestExpressApplication;
let bus: Bus;
let base: string;

beforeAll(async () => {
  nats = await startPrivateNats();
  ({ app, base } = await startGateway(nats.url, nats.storeDir, {
    INSTANCE_ID: 'security-it',
    GATHER_TIMEOUT_MS: '50',
    HEALTH_TIMEOUT_MS: '200',
    REQUEST_TIMEOUT_MS: '500',
    CORS_ORIGINS: APP_ORIGIN,
  }));
  bus = await Bus.connect({
    servers: nats.url,
    name: 'security-it-client',
    logger: { log() {}, warn() {}, error: console.error },
  });
});

afterAll(async () => {
  await bus?.close();
  await app?.close();
  await nats?.stop();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
async function createKey(scopes: string[]): Promise<string> {
  const res = await fetch(`${base}/api/v1/api-keys`, {
    method: 'POST',
    headers: { ...auth(TEST_ADMIN_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({ name: `k-${scopes.join('-')}`, scopes }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

describe('security headers', () => {
  it('are on the page, the docs, the API, its refusals and /healthz', async () => {
    for (const path of [
      '/',
      '/api/docs',
      '/api/docs/openapi.json',
      '/api/v1/persons',
      '/healthz',
      '/no-such-file.js',
    ]) {
      const res = await fetch(`${base}${path}`);
      await res.arrayBuffer();
      const h: Record<string, string> = {};
      res.headers.forEach((v, k) => (h[k] = v));
      expect({ path, nosniff: h['x-content-type-options'] }).toEqual({ path, nosniff: 'nosniff' });
      expect(h).toMatchObject({
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        'cross-origin-opener-policy': 'same-origin',
      });
      expect(h['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(h['permissions-policy']).toMatch(/camera=\(self\)/);
      expect(h['strict-transport-security']).toBeUndefined(); // HSTS_MAX_AGE_S=0: plain http
      expect(h['x-powered-by']).toBeUndefined();
    }
    const page = (await fetch(`${base}/`)).headers.get('content-security-policy')!;
    expect(page).toMatch(/script-src 'self';/);
    expect(page).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect((await fetch(`${base}/api/v1/persons`)).headers.get('content-security-policy')).toMatch(
      /default-src 'none'/,
    );
  });

  it('the web page and the API docs run in Chromium without one CSP violation', async () => {
    if (!existsSync(CHROMIUM))
      return console.warn(`\n*** SKIPPING the browser CSP check: no Chromium at ${CHROMIUM} ***\n`);
    const profile = mkdtempSync(join(tmpdir(), 'glimpse-csp-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const violations: string[] = [];
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() !== 'error') return;
        errors.push(m.text());
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) =>
          console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`),
        );
      });
      // the sign-in link: the page signs in, loads its data and opens /ws
      await page.goto(`${base}/#key=${encodeURIComponent(TEST_ADMIN_KEY)}`);
      await page.waitForFunction(() => (document.getElementById('root')?.childElementCount ?? 0) > 0, null, {
        timeout: 30_000,
      });
      await page.waitForLoadState('networkidle', { timeout: 30_000 }).catch(() => undefined);
      await page.goto(`${base}/api/docs`);
      await page.waitForSelector('.swagger-ui .opblock', { timeout: 30_000 });
      console.log(
        `browser: ${violations.length} CSP violation(s); other console errors: ${errors.filter((e) => !violations.includes(e)).length}`,
      );
      expect(violations).toEqual([]);
    } finally {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    }
  });
});

describe('static files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glimpse-public-'));
  const SHADOW = 'static file, not the route';
  let other: NestExpressApplication | undefined;
  let otherBase: string;

  beforeAll(async () => {
    for (const rel of [
      'api/v1/audit',
      'api/v1/persons',
      'API/v1/audit',
      'api/docs/openapi.json',
      'healthz',
      'metrics',
      'ws',
    ]) {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), SHADOW);
    }
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>ui</title>');
    ({ app: other, base: otherBase } = await startGateway(nats.url, nats.storeDir, {
      INSTANCE_ID: 'security-static-it',
      HEALTH_TIMEOUT_MS: '200',
      PUBLIC_DIR: dir,
    }));
  });

  afterAll(async () => {
    await other?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never answer /api, /healthz, /metrics or /ws, even with a file of that name in PUBLIC_DIR', async () => {
    for (const path of ['/api/v1/audit', '/api/v1/persons']) {
      const res = await fetch(`${otherBase}${path}`);
      expect({ path, status: res.status, body: await res.text() }).toEqual({
        path,
        status: 401,
        body: expect.not.stringContaining(SHADOW),
      });
    }
    for (const path of ['/API/v1/audit', '/healthz', '/metrics', '/ws']) {
      const res = await fetch(`${otherBase}${path}`);
      expect({ path, body: await res.text() }).toEqual({ path, body: expect.not.stringContaining(SHADOW) });
    }
    const docs = await fetch(`${otherBase}/api/docs/openapi.json`);
    expect(docs.status).toBe(200);
    expect(await docs.json()).toHaveProperty('openapi');
    const page = await fetch(`${otherBase}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>ui</title>');
  });
});

describe('CORS', () => {
  it('answers a listed origin, with credentials and its preflight', async () => {
    const pre = await fetch(`${base}/api/v1/persons`, {
      method: 'OPTIONS',
      headers: {
        origin: APP_ORIGIN,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const get = await fetch(`${base}/api/v1/streams`, { headers: { origin: APP_ORIGIN, ...auth(TEST_ADMIN_KEY) } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
  });

  it('gives any other origin no Access-Control header (the browser keeps the answer from it)', async () => {
    const pre = await fetch(`${base}/api/v1/persons`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(`${base}/api/v1/streams`, {
      headers: { origin: 'https://evil.example', ...auth(TEST_ADMIN_KEY) },
    });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
    expect(get.headers.get('vary')).toMatch(/Origin/);
  });
});

describe('/ws origin check', () => {
  const open = (origin: string | undefined) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(
        `${base.replace('http', 'ws')}/ws?key=${encodeURIComponent(TEST_ADMIN_KEY)}`,
        origin ? { origin } : {},
      );
      ws.once('open', () => (ws.close(), resolve(101)));
      ws.once('unexpected-response', (_req, res) => (ws.terminate(), resolve(res.statusCode ?? 0)));
      ws.once('error', () => resolve(-1));
    });

  it('refuses a foreign origin (cross-site WebSocket hijacking) and lets its own page, CORS_ORIGINS and non-browsers in', async () => {
    expect(await open('https://evil.example')).toBe(403);
    expect(await open(base)).toBe(101);
    expect(await open(APP_ORIGIN)).toBe(101);
    expect(await open(undefined)).toBe(101);
  });
});

describe('scopes of routes that return faces', () => {
  const faceA = randomUUID();
  let reader: string;
  let a: { token: string; streamId: string };
  let b: { token: string; streamId: string };

  beforeAll(async () => {
    reader = await createKey(['read']);
    const writer = await createKey(['write']);
    const session = async () =>
      (await (
        await fetch(`${base}/api/v1/sessions`, {
          method: 'POST',
          headers: { ...auth(writer), 'content-type': 'application/json' },
          body: '{}',
        })
      ).json()) as { token: string; streamId: string };
    a = await session();
    b = await session();
    const face = {
      faceId: faceA,
      box: { x: 0, y: 0, width: 10, height: 10 },
      personId: randomUUID(),
      personNumber: 1,
      personName: null,
      isNew: true,
      distance: null,
      similarity: null,
    };
    const frame = { source: a.streamId, seq: 1, capturedAt: new Date().toISOString(), width: 100, height: 100 };
    // the gateway learns which faces stream A produced from the recognition events every gateway hears
    await until(
      "the gateway to hear stream A's recognition",
      async () => {
        bus.publish(RecognitionEvent.contract, [a.streamId], { frame, faces: [face] });
        const res = await fetch(`${base}/api/v1/faces/${faceA}/crop`, { headers: auth(a.token) });
        await res.arrayBuffer();
        return res.status !== 403;
      },
      20_000,
    );
  });

  it('a key without the scope gets 403 on encode, search, keys and webhooks', async () => {
    const jpeg = { ...auth(reader), 'content-type': 'image/jpeg' };
    expect(
      (await fetch(`${base}/api/v1/encode`, { method: 'POST', headers: jpeg, body: Buffer.from([0xff, 0xd8]) })).status,
    ).toBe(403);
    expect(
      (await fetch(`${base}/api/v1/search`, { method: 'POST', headers: jpeg, body: Buffer.from([0xff, 0xd8]) })).status,
    ).toBe(403);
    expect((await fetch(`${base}/api/v1/api-keys`, { headers: auth(reader) })).status).toBe(403);
    expect((await fetch(`${base}/api/v1/webhooks`, { headers: auth(reader) })).status).toBe(403);
  });

  it('no credential gets 401 on crops, faces, persons, sightings and encode', async () => {
    for (const [method, path] of [
      ['GET', `/api/v1/faces/${faceA}/crop`],
      ['GET', '/api/v1/faces'],
      ['GET', '/api/v1/persons'],
      ['GET', '/api/v1/sightings'],
      ['POST', '/api/v1/encode'],
    ]) {
      expect({ path, status: (await fetch(`${base}${path}`, { method })).status }).toEqual({ path, status: 401 });
    }
  });

  it("a session token reaches crops of its own stream's faces only, and nothing else of the library", async () => {
    // past the access check: no matcher runs here, so the crop itself is 503/504
    const own = await fetch(`${base}/api/v1/faces/${faceA}/crop`, { headers: auth(a.token) });
    expect([503, 504]).toContain(own.status);
    const other = await fetch(`${base}/api/v1/faces/${faceA}/crop`, { headers: auth(b.token) });
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ code: 'FORBIDDEN', detail: expect.stringContaining(b.streamId) });
    expect((await fetch(`${base}/api/v1/faces/${randomUUID()}/crop`, { headers: auth(a.token) })).status).toBe(403);
    for (const path of ['/api/v1/faces', '/api/v1/persons', '/api/v1/sightings', `/api/v1/streams/${a.streamId}`]) {
      expect({ path, status: (await fetch(`${base}${path}`, { headers: auth(a.token) })).status }).toEqual({
        path,
        status: 401,
      });
    }
    const forged = `${a.token.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await fetch(`${base}/api/v1/faces/${faceA}/crop`, { headers: auth(forged) })).status).toBe(401);
  });

  it("a session's socket may subscribe to its own stream only", async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws?token=${a.token}`);
    const replies: Array<{ type: string; code?: string; streamId?: string }> = [];
    ws.on('message', (m) => replies.push(JSON.parse(m.toString())));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'subscribe', streamId: b.streamId }));
    ws.send(JSON.stringify({ type: 'subscribe', streamId: a.streamId }));
    await until('two replies', () => replies.length >= 2, 10_000);
    ws.close();
    expect(replies).toEqual([
      expect.objectContaining({ type: 'error', code: 'FORBIDDEN', streamId: b.streamId }),
      expect.objectContaining({ type: 'subscribed', streamId: a.streamId }),
    ]);
  });
});
