/**
 * Authorization decided by the matched route (issue #12): every route of the gateway's route table ×
 * every kind of caller × spellings of its path × every method, sent raw (fetch would normalise `/./`,
 * `%2e` and `\`) to a real in-process gateway on a private nats-server with nothing behind it (so a
 * request that passes auth may still end in 503: that counts as allowed). Plus the outside probe's
 * exact requests, and a check that the route table knows every route Express serves.
 */
import 'reflect-metadata';
import { Agent, METHODS, request } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DOCS_ROUTES } from '../../services/gateway/src/app';
import { authMatrix, meets, type Credential, type MatrixCase } from '../../services/gateway/src/auth/auth-matrix';
import { buildRouteTable, type RouteEntry } from '../../services/gateway/src/auth/route-table';
import { API_CSP } from '../../services/gateway/src/security/headers';
import { isApiPath, nonCanonical } from '../../services/gateway/src/security/path';
import { TEST_ADMIN_KEY } from '../support/auth';
import { startGateway } from '../support/gateway';
import { startPrivateNats, type PrivateNats } from '../support/private-nats';

jest.setTimeout(300_000);

const ID = '00000000-0000-4000-8000-000000000000';
const OTHER_LIVE_STREAM = 'live_AAAAAAAAAAAA';

let nats: PrivateNats;
let app: NestExpressApplication;
let port: number;
let entries: readonly RouteEntry[];
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const creds = {} as Record<Credential, Record<string, string>>;
let sessionId = '';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw request: the path goes on the wire exactly as given. */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: { ...headers, 'content-length': String(payload.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path}: no answer in 15 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const jsonHeaders = (h: Record<string, string> = {}) => ({ ...h, 'content-type': 'application/json' });

async function createKey(scopes: string[]): Promise<string> {
  const res = await send(
    'POST',
    '/api/v1/api-keys',
    jsonHeaders(bearer(TEST_ADMIN_KEY)),
    JSON.stringify({ name: `matrix-${scopes[0]}`, scopes }),
  );
  expect(res.status).toBe(201);
  return (JSON.parse(res.body) as { key: string }).key;
}

beforeAll(async () => {
  nats = await startPrivateNats();
  ({ app, port } = await startGateway(nats.url, nats.storeDir, {
    INSTANCE_ID: 'auth-matrix-it',
    REQUEST_TIMEOUT_MS: '300',
    HEALTH_TIMEOUT_MS: '200',
    GATHER_TIMEOUT_MS: '50',
    // the matrix sends thousands of requests, many with bad credentials, from one address
    RATE_LIMIT_AUTH_PER_MIN: '0',
    RATE_LIMIT_API_PER_MIN: '0',
    RATE_LIMIT_SESSIONS_PER_MIN: '0',
  }));
  entries = buildRouteTable(app, DOCS_ROUTES).entries;
  creds.none = {};
  creds.malformed = bearer('glk_not-a-real-key');
  creds.read = bearer(await createKey(['read']));
  creds.write = bearer(await createKey(['write']));
  creds.admin = bearer(await createKey(['admin']));
  const session = await send('POST', '/api/v1/sessions', jsonHeaders(creds.write), '{}');
  expect(session.status).toBe(201);
  const info = JSON.parse(session.body) as { sessionId: string; token: string };
  sessionId = info.sessionId;
  creds.session = bearer(info.token);
});

afterAll(async () => {
  agent.destroy();
  await app?.close();
  await nats?.stop();
});

/** Param values: ids that exist nowhere; WHIP's is the matrix session's own, a stream's another session's. */
function param(name: string, template: string): string {
  if (name === 'sessionId') return sessionId;
  if (name === 'resourceId') return 'resource-0001';
  return template.startsWith('/api/v1/streams/') ? OTHER_LIVE_STREAM : ID;
}

/** What is wrong with one answer, or null. */
function judge(c: MatrixCase, a: Answer): string | null {
  const byRouteCheck = /no such API route|is not allowed here/.test(a.body);
  if (!meets(c.expected, a.status, byRouteCheck)) return `status ${a.status}`;
  const docs = c.template.startsWith('/api/docs') && !nonCanonical(c.path) && c.path.startsWith('/api/docs');
  if (isApiPath(c.path) && !docs) {
    if (a.headers['content-security-policy'] !== API_CSP) return `CSP ${String(a.headers['content-security-policy'])}`;
    if (String(a.headers['content-type'] ?? '').startsWith('text/html')) return 'served HTML';
  }
  return null;
}

async function runAll<T, R>(items: readonly T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return out;
}

describe('auth matrix (every route × caller × spelling × method)', () => {
  it('answers each combination with its documented status, never 2xx where forbidden, never 5xx but 503/504', async () => {
    const cases = authMatrix(entries, { param });
    const byKind = new Map<string, number>();
    const started = Date.now();
    const failures = (
      await runAll(cases, 8, async (c) => {
        const why = judge(c, await send(c.method, c.path, creds[c.credential]));
        if (why)
          byKind.set(
            `${c.credential}/${c.spelling}/${why}`,
            (byKind.get(`${c.credential}/${c.spelling}/${why}`) ?? 0) + 1,
          );
        return (
          why &&
          `${c.method} ${c.path} as ${c.credential} (${c.spelling}, expected ${JSON.stringify(c.expected)}): ${why}`
        );
      })
    ).filter((f): f is string => !!f);
    const templates = new Set(entries.map((e) => e.template)).size;
    console.log(
      `AUTH-MATRIX requests=${cases.length} routes=${entries.length} paths=${templates} failures=${failures.length} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    if (failures.length) console.log([...byKind].map(([k, n]) => `${n}× ${k}`).join('\n'));
    expect(failures.slice(0, 40)).toEqual([]);
  });

  it('knows every route Express serves, so none escapes the matrix', () => {
    const stack = (
      app.getHttpAdapter().getInstance() as {
        router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
      }
    ).router.stack;
    // routes for all methods are middleware (Nest's per-route middleware: the request metrics), not handlers
    const handlers = stack.filter((l) => l.route && !METHODS.every((m) => l.route!.methods[m.toLowerCase()]));
    const served = handlers.flatMap((l) =>
      Object.keys(l.route!.methods).map((m) => `${m.toUpperCase()} ${l.route!.path}`),
    );
    expect(served.length).toBeGreaterThan(30);
    const known = (s: string) => {
      const [method, path] = s.split(' ');
      return entries.some(
        (e) =>
          (e.method === method || (e.method === 'GET' && method === 'HEAD')) &&
          (e.template === path || (e.prefix && path.startsWith(`${e.template}/`))),
      );
    };
    expect(served.filter((s) => !known(s))).toEqual([]);
  });
});

describe("the outside probe's requests (issue #12, items 1 and 2)", () => {
  const crop = `/Api/V1/faces/${ID}/crop`;

  it('no longer reach a handler with another case: 404 problem+json with the API CSP, body unread', async () => {
    const probes: [string, string, Record<string, string>, string?][] = [
      ['POST', '/API/v1/api-keys', jsonHeaders(), JSON.stringify({ name: 'x', scopes: ['admin'] })],
      ['GET', '/API/v1/persons', {}],
      ['GET', crop, {}],
      ['DELETE', `/API/v1/persons/${ID}`, {}],
      ['GET', '/api/v1/API-KEYS', creds.read],
      ['POST', '/api/v1/API-KEYS', jsonHeaders(creds.write), JSON.stringify({ name: 'x', scopes: ['admin'] })],
    ];
    for (const [method, path, headers, body] of probes) {
      const a = await send(method, path, headers, body);
      expect({
        method,
        path,
        status: a.status,
        csp: a.headers['content-security-policy'],
        type: a.headers['content-type'],
      }).toEqual({
        method,
        path,
        status: 404,
        csp: API_CSP,
        type: 'application/problem+json',
      });
      expect(a.headers.connection).toBe('close');
    }
  });

  it('keep the right answer on the canonical path: 401 without credentials, 403 for too small a scope', async () => {
    const admin = JSON.stringify({ name: 'x', scopes: ['admin'] });
    expect((await send('POST', '/api/v1/api-keys', jsonHeaders(), admin)).status).toBe(401);
    expect((await send('GET', '/api/v1/api-keys', creds.read)).status).toBe(403);
    expect((await send('POST', '/api/v1/api-keys', jsonHeaders(creds.write), admin)).status).toBe(403);
    expect((await send('GET', '/api/v1/persons')).status).toBe(401);
    expect((await send('DELETE', `/api/v1/persons/${ID}`)).status).toBe(401);
  });

  it('refuses an unrouted method with 405 and Allow, and a non-canonical path with 400', async () => {
    const a = await send('PUT', '/api/v1/persons', creds.admin);
    expect(a.status).toBe(405);
    expect(a.headers.allow).toBe('GET, HEAD, POST');
    expect((await send('GET', '/api/v1/persons/', creds.admin)).status).toBe(400);
    expect((await send('GET', '/api/v1/%70ersons', creds.admin)).status).toBe(400);
    expect((await send('GET', '/api/v2/persons', creds.admin)).status).toBe(404);
  });
});
