import { allows } from './api-key';
import { ROUTE_METHODS, type RouteEntry, type RouteMethod } from './route-table';

/**
 * The documented access policy as a test oracle: every route of the route table × every kind of
 * caller × spellings of its path × every method, each with the status the gateway must answer. Pure,
 * so a new route is covered by the matrix test (test/integration/auth-matrix.test.ts) without anyone
 * writing a test for it. The oracle is written out here, independently of AuthGuard and the router.
 */

export const CREDENTIALS = ['none', 'malformed', 'read', 'write', 'admin', 'session'] as const;
/** No credential, a malformed API key, keys of each scope, a live camera session's token. */
export type Credential = (typeof CREDENTIALS)[number];

/**
 * `allowed`: past authorization (any answer but 401/403, the router's 404/405, or a 500); `open`: a public
 * route, whose handler may answer anything but a 500 (GET /api/v1/auth/session says 401 "not signed in");
 * `refused`: a 4xx, never 2xx.
 */
export type Expected =
  { kind: 'status'; status: number } | { kind: 'allowed' } | { kind: 'open' } | { kind: 'refused' };

export interface MatrixCase {
  template: string;
  method: RouteMethod;
  credential: Credential;
  /** `canonical`, `case:<segment>`, `double-slash`, `enc-slash`, … */
  spelling: string;
  path: string;
  expected: Expected;
}

export interface MatrixOptions {
  /** The value of a path param; for live routes it decides the expectation (see expectFor). */
  param(name: string, template: string): string;
}

interface Segment {
  text: string;
  literal: boolean;
}

const isApi = (template: string) => template === '/api' || template.startsWith('/api/');
const join = (segs: readonly string[]) => `/${segs.join('/')}`;

/**
 * Non-canonical spellings of a path. Case variants only touch literal segments (a param's case is its
 * value's business); under /api each must be a 404 and every other spelling a 400. Outside /api
 * (where the page's static files live) any refusal (4xx) will do.
 */
export function spellings(segs: readonly Segment[]): { name: string; path: string; status: number }[] {
  const texts = segs.map((s) => s.text);
  const out: { name: string; path: string; status: number }[] = [];
  const literals = segs.map((s, i) => ({ ...s, i })).filter((s) => s.literal && /[a-z]/.test(s.text));
  for (const { text, i } of literals)
    out.push({ name: `case:${text}`, path: join(texts.map((t, j) => (j === i ? t.toUpperCase() : t))), status: 404 });
  if (literals.length > 1)
    out.push({
      name: 'case:all',
      path: join(texts.map((t, j) => (segs[j].literal ? t.toUpperCase() : t))),
      status: 404,
    });
  if (literals.length) {
    const { text, i } = literals[literals.length - 1];
    const first = `%${text.charCodeAt(0).toString(16).toUpperCase()}${text.slice(1)}`;
    out.push({ name: 'enc-char', path: join(texts.map((t, j) => (j === i ? first : t))), status: 400 });
  }
  const [head, ...rest] = texts;
  const tail = rest.length ? `/${rest.join('/')}` : '';
  const canonical = join(texts);
  out.push(
    { name: 'leading-double-slash', path: `/${canonical}`, status: 400 },
    { name: 'double-slash', path: `/${head}/${tail}`, status: 400 },
    { name: 'dot', path: `/${head}/.${tail}`, status: 400 },
    { name: 'dotdot', path: `/${head}/x/..${tail}`, status: 400 },
    { name: 'enc-dot', path: `/${head}/%2e${tail}`, status: 400 },
    { name: 'enc-dotdot', path: `/${head}/x/%2E%2E${tail}`, status: 400 },
    { name: 'backslash', path: rest.length ? `/${head}\\${rest.join('/')}` : `${canonical}\\`, status: 400 },
    { name: 'trailing-slash', path: `${canonical}/`, status: 400 },
    { name: 'matrix', path: `${canonical};x`, status: 400 },
  );
  if (texts.length > 1)
    out.push({ name: 'enc-slash', path: `${join(texts.slice(0, -1))}%2F${texts[texts.length - 1]}`, status: 400 });
  // a parameter that climbs out of /api when read leniently, while the raw path still routes to it
  const param = segs.findIndex((s) => !s.literal);
  if (param >= 0) {
    for (const [name, up] of [
      ['escape-enc-slash', '..%2f'],
      ['escape-enc-backslash', '..%5c'],
      ['escape-double-enc', '..%252f'],
      ['escape-backslash', '..\\'],
    ]) {
      out.push({ name, path: join(texts.map((t, j) => (j === param ? `${up.repeat(4)}x` : t))), status: 400 });
    }
  }
  return out;
}

/** What a caller gets for `method` on a canonical path served by `routes` (all the entries of that path). */
export function expectFor(routes: readonly RouteEntry[], method: RouteMethod, credential: Credential): Expected {
  const route =
    routes.find((r) => r.method === method) ?? (method === 'HEAD' ? routes.find((r) => r.method === 'GET') : undefined);
  if (!route) return { kind: 'status', status: 405 };
  const a = route.access;
  if (a.public) return { kind: 'open' };
  if (credential === 'none' || credential === 'malformed') return { kind: 'status', status: 401 };
  if (credential === 'session') {
    if (a.live === 'whip') return { kind: 'allowed' }; // the param is the session's own id (MatrixOptions.param)
    if (a.live === 'crop') return { kind: 'status', status: 403 }; // a face its stream has not seen
    // the handler decides: 403 for another session's live stream (MatrixOptions.param), a 4xx for no live stream
    if (a.live) return { kind: 'refused' };
    return { kind: 'status', status: 401 }; // a session token is no API key
  }
  if (a.scope === null) return { kind: 'status', status: 401 }; // WHIP takes session tokens only
  return allows([credential], a.scope) ? { kind: 'allowed' } : { kind: 'status', status: 403 };
}

function segmentsOf(template: string, opts: MatrixOptions): Segment[] {
  return template
    .split('/')
    .slice(1)
    .filter(Boolean)
    .map((s) =>
      s.startsWith(':') ? { text: opts.param(s.slice(1), template), literal: false } : { text: s, literal: true },
    );
}

/** Whether a template serves a concrete canonical path (prefix entries also everything below them). */
function serves(entry: RouteEntry, path: string): boolean {
  const want = entry.template.split('/').slice(1).filter(Boolean);
  const got = path.split('/').slice(1);
  if (entry.prefix ? got.length < want.length : got.length !== want.length) return false;
  return want.every((w, i) => w.startsWith(':') || w === got[i]);
}

/** The whole matrix for a route table's entries. */
export function authMatrix(entries: readonly RouteEntry[], opts: MatrixOptions): MatrixCase[] {
  const cases: MatrixCase[] = [];
  for (const template of [...new Set(entries.map((e) => e.template))]) {
    const segs = segmentsOf(template, opts);
    const path = join(segs.map((s) => s.text));
    const routes = entries.filter((e) => serves(e, path));
    // a case variant that is itself a path of some route (`/streams/UPLOAD` is `/streams/:id`) is no other spelling of this one
    // (an escape spelling is meant to be served by this route's template, and must still be refused)
    const variants = spellings(segs).filter(
      (v) => v.name.startsWith('escape-') || !entries.some((e) => serves(e, v.path)),
    );
    for (const method of ROUTE_METHODS) {
      for (const credential of CREDENTIALS) {
        const base = { template, method, credential };
        cases.push({ ...base, spelling: 'canonical', path, expected: expectFor(routes, method, credential) });
        for (const v of variants) {
          const expected: Expected = isApi(template) ? { kind: 'status', status: v.status } : { kind: 'refused' };
          cases.push({ ...base, spelling: v.name, path: v.path, expected });
        }
      }
    }
  }
  return cases;
}

/**
 * Whether an answer meets the expectation. `byRouteCheck`: the 404/405 came from the router's route
 * lookup (no such path, method not routed), not from a handler (an unknown id, WHIP's trickle PATCH).
 */
export function meets(expected: Expected, status: number, byRouteCheck = false): boolean {
  if (expected.kind === 'status') return status === expected.status;
  if (expected.kind === 'refused') return status >= 400 && status < 500;
  // past auth, a request may still be invalid (4xx) or find nothing behind the gateway (503/504)
  if ((status === 404 || status === 405) && byRouteCheck) return false;
  if (expected.kind === 'allowed' && (status === 401 || status === 403)) return false;
  return status < 500 || status === 503 || status === 504;
}
