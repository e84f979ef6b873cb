import { cors, wsOriginAllowed } from './cors';
import { API_CSP, cspFor, DOCS_CSP, pageCsp, securityHeaders } from './headers';

/** A minimal Express-like request/response pair, enough for these middlewares. */
function run(mw: ReturnType<typeof cors>, req: { method?: string; path?: string; headers?: Record<string, string> }) {
  const headers: Record<string, string> = {};
  const res = {
    statusCode: 200,
    ended: false,
    setHeader: (k: string, v: string) => (headers[k.toLowerCase()] = v),
    vary: (v: string) => (headers.vary = v),
    status(c: number) {
      this.statusCode = c;
      return this;
    },
    end() {
      this.ended = true;
    },
  };
  let nextCalled = false;
  mw({ method: 'GET', path: '/', headers: {}, ...req } as never, res as never, () => (nextCalled = true));
  return { headers, res, nextCalled };
}

describe('page CSP', () => {
  it('allows only same-origin scripts and styles, no inline code, no framing', () => {
    const csp = pageCsp('glimpse.example:3000');
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self';");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("connect-src 'self' ws://glimpse.example:3000 wss://glimpse.example:3000");
    expect(csp).toContain("media-src 'self' blob: mediastream:");
  });

  it('ignores a Host header that is no host name', () => {
    expect(pageCsp('evil.example; script-src *')).toContain("connect-src 'self'; ");
  });

  it('adds configured connect sources (OpenVidu)', () => {
    expect(pageCsp('h', ['wss://ov.example:4443'])).toContain('wss://ov.example:4443');
  });

  it('relaxes styles only for the API docs, and locks API answers down', () => {
    expect(DOCS_CSP).toContain("style-src 'self' 'unsafe-inline'");
    expect(DOCS_CSP).toContain("script-src 'self';");
    expect(API_CSP).toContain("default-src 'none'");
  });

  it('are set on every path, HSTS only when configured', () => {
    const mw = securityHeaders({ hstsMaxAgeS: 0, connectSrc: [], crossOrigin: false });
    const page = run(mw, { path: '/', headers: { host: 'h:1' } }).headers;
    expect(page['content-security-policy']).toContain("script-src 'self'");
    expect(page).toMatchObject({
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
    });
    expect(page['permissions-policy']).toContain('camera=(self)');
    expect(page['strict-transport-security']).toBeUndefined();
    expect(run(mw, { path: '/api/docs/' }).headers['content-security-policy']).toBe(DOCS_CSP);
    expect(run(mw, { path: '/api/v1/persons' }).headers['content-security-policy']).toBe(API_CSP);
    const hsts = securityHeaders({ hstsMaxAgeS: 31536000, connectSrc: [], crossOrigin: true });
    const h = run(hsts, { path: '/' }).headers;
    expect(h['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(h['cross-origin-resource-policy']).toBeUndefined();
  });
});

describe('CORS', () => {
  const mw = cors(['https://app.example']);

  it('says nothing to an unlisted origin or a same-origin request', () => {
    for (const origin of ['https://evil.example', undefined]) {
      const r = run(mw, { headers: origin ? { origin } : {} });
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      expect(r.nextCalled).toBe(true);
    }
    const pre = run(mw, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect(pre.res.ended).toBe(false);
  });

  it('allows a listed origin with credentials and answers its preflight', () => {
    const r = run(mw, { headers: { origin: 'https://app.example' } });
    expect(r.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
    expect(r.nextCalled).toBe(true);
    const pre = run(mw, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.res.statusCode).toBe(204);
    expect(pre.res.ended).toBe(true);
    expect(pre.nextCalled).toBe(false);
    expect(pre.headers['access-control-allow-headers']).toContain('Authorization');
  });

  it('lets a WebSocket in from no origin, its own host or a listed origin only', () => {
    expect(wsOriginAllowed(undefined, 'h:3000', [])).toBe(true);
    expect(wsOriginAllowed('http://h:3000', 'h:3000', [])).toBe(true);
    expect(wsOriginAllowed('https://evil.example', 'h:3000', [])).toBe(false);
    expect(wsOriginAllowed('http://h:3001', 'h:3000', [])).toBe(false);
    expect(wsOriginAllowed('https://app.example', 'h:3000', ['https://app.example'])).toBe(true);
    expect(wsOriginAllowed('null', 'h:3000', [])).toBe(false);
  });
});

describe('CSP for other spellings of /api paths', () => {
  it('gives them the API policy, never the page’s: the docs policy only for the docs’ own spelling', () => {
    for (const p of [
      '/API/v1/persons',
      '/Api/V1/faces/1/crop',
      '//api/v1/persons',
      '/%61pi/v1/persons',
      '/x/../api/v1',
      '/API/docs',
      '/api/docs/../v1/persons',
      '/api',
    ]) {
      expect({ p, csp: cspFor(p, 'localhost') }).toEqual({ p, csp: API_CSP });
    }
    expect(cspFor('/api/docs', 'localhost')).toBe(DOCS_CSP);
    expect(cspFor('/api/docs/swagger-ui.css', 'localhost')).toBe(DOCS_CSP);
    expect(cspFor('/', 'localhost')).toMatch(/script-src 'self'/);
    expect(cspFor('/HEALTHZ', 'localhost')).toBe(API_CSP);
  });
});
