import { authMatrix, CREDENTIALS, expectFor, meets, spellings, type MatrixCase } from './auth-matrix';
import { ROUTE_METHODS, type RouteEntry } from './route-table';

const route = (method: RouteEntry['method'], template: string, access: RouteEntry['access']): RouteEntry => ({
  method,
  template,
  access,
  handler: `X.${method}`,
});
const ENTRIES: RouteEntry[] = [
  route('GET', '/api/v1/persons', { public: false, scope: 'read', live: null }),
  route('POST', '/api/v1/api-keys', { public: false, scope: 'admin', live: null }),
  route('GET', '/api/v1/faces/:id/crop', { public: false, scope: 'read', live: 'crop' }),
  route('POST', '/api/v1/whip/:sessionId', { public: false, scope: null, live: 'whip' }),
  route('GET', '/healthz', { public: true }),
];
const param = (name: string) => (name === 'sessionId' ? 'own-session' : 'ID');

describe('auth matrix', () => {
  const cases = authMatrix(ENTRIES, { param });
  const find = (p: Partial<MatrixCase>) =>
    cases.filter((c) => Object.entries(p).every(([k, v]) => c[k as keyof MatrixCase] === v));

  it('covers every route × method × credential × spelling', () => {
    const perTemplate = (t: string) =>
      new Set(find({ template: t, method: 'GET', credential: 'none' }).map((c) => c.spelling)).size;
    const expected = ENTRIES.reduce(
      (n, e) => n + perTemplate(e.template) * ROUTE_METHODS.length * CREDENTIALS.length,
      0,
    );
    expect(cases).toHaveLength(expected);
    expect(perTemplate('/api/v1/faces/:id/crop')).toBe(1 + 5 + 11 + 4); // canonical, case × 4 literals + all, 11 structural, 4 escapes through :id
  });

  it('expects the documented status of each caller on the canonical path', () => {
    const status = (template: string, method: string, credential: string) =>
      find({
        template,
        method: method as MatrixCase['method'],
        credential: credential as MatrixCase['credential'],
        spelling: 'canonical',
      })[0].expected;
    expect(status('/api/v1/api-keys', 'POST', 'none')).toEqual({ kind: 'status', status: 401 });
    expect(status('/api/v1/api-keys', 'POST', 'malformed')).toEqual({ kind: 'status', status: 401 });
    expect(status('/api/v1/api-keys', 'POST', 'read')).toEqual({ kind: 'status', status: 403 });
    expect(status('/api/v1/api-keys', 'POST', 'write')).toEqual({ kind: 'status', status: 403 });
    expect(status('/api/v1/api-keys', 'POST', 'admin')).toEqual({ kind: 'allowed' });
    expect(status('/api/v1/api-keys', 'POST', 'session')).toEqual({ kind: 'status', status: 401 });
    expect(status('/api/v1/api-keys', 'GET', 'admin')).toEqual({ kind: 'status', status: 405 });
    expect(status('/api/v1/persons', 'HEAD', 'read')).toEqual({ kind: 'allowed' });
    expect(status('/api/v1/faces/:id/crop', 'GET', 'session')).toEqual({ kind: 'status', status: 403 });
    expect(status('/api/v1/whip/:sessionId', 'POST', 'session')).toEqual({ kind: 'allowed' });
    expect(status('/api/v1/whip/:sessionId', 'POST', 'admin')).toEqual({ kind: 'status', status: 401 });
    expect(status('/healthz', 'GET', 'none')).toEqual({ kind: 'open' });
    expect(status('/healthz', 'DELETE', 'admin')).toEqual({ kind: 'status', status: 405 });
  });

  it('expects every other spelling of an API path refused before auth: 404 for case, 400 for the rest', () => {
    const upper = find({ template: '/api/v1/api-keys', method: 'POST', credential: 'none', spelling: 'case:api' })[0];
    expect(upper).toMatchObject({ path: '/API/v1/api-keys', expected: { kind: 'status', status: 404 } });
    const byName = Object.fromEntries(
      find({ template: '/api/v1/api-keys', method: 'POST', credential: 'admin' }).map((c) => [c.spelling, c.path]),
    );
    expect(byName).toMatchObject({
      'case:api-keys': '/api/v1/API-KEYS',
      'case:all': '/API/V1/API-KEYS',
      'double-slash': '/api//v1/api-keys',
      'leading-double-slash': '//api/v1/api-keys',
      dot: '/api/./v1/api-keys',
      dotdot: '/api/x/../v1/api-keys',
      'enc-dot': '/api/%2e/v1/api-keys',
      'enc-slash': '/api/v1%2Fapi-keys',
      'enc-char': '/api/v1/%61pi-keys',
      'trailing-slash': '/api/v1/api-keys/',
      matrix: '/api/v1/api-keys;x',
    });
    for (const c of find({ template: '/healthz' }).filter((c) => c.spelling !== 'canonical'))
      expect(c.expected).toEqual({ kind: 'refused' });
    expect(spellings([{ text: 'ID', literal: false }]).some((s) => s.name.startsWith('case:'))).toBe(false);
  });

  it('judges answers: never 2xx or 5xx where refused, never 401/403/405 where allowed', () => {
    expect(meets({ kind: 'status', status: 401 }, 401)).toBe(true);
    expect(meets({ kind: 'status', status: 401 }, 201)).toBe(false);
    expect(meets({ kind: 'refused' }, 404)).toBe(true);
    expect(meets({ kind: 'refused' }, 200)).toBe(false);
    expect(meets({ kind: 'allowed' }, 400)).toBe(true);
    expect(meets({ kind: 'allowed' }, 503)).toBe(true);
    expect(meets({ kind: 'allowed' }, 404)).toBe(true);
    expect(meets({ kind: 'allowed' }, 404, true)).toBe(false);
    expect(meets({ kind: 'open' }, 401)).toBe(true); // a public handler's own answer
    expect(meets({ kind: 'open' }, 404, true)).toBe(false);
    expect(meets({ kind: 'open' }, 500)).toBe(false);
    expect(meets({ kind: 'allowed' }, 405)).toBe(true); // a handler's own 405 (WHIP's trickle PATCH)
    expect(meets({ kind: 'allowed' }, 405, true)).toBe(false);
    for (const s of [401, 403, 500, 502]) expect(meets({ kind: 'allowed' }, s)).toBe(false);
    expect(expectFor([], 'GET', 'admin')).toEqual({ kind: 'status', status: 405 });
  });
});
