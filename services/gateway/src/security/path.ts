/**
 * One spelling per API path. Express routes on the raw path, case-sensitively and strictly (app.ts);
 * so that no other reader (a proxy, a log, the CSP choice) takes a request for another path than the
 * router did, a path that a lenient reader would take for an /api path (other case, `//`, `.`/`..`,
 * percent-encoded `/` or `.`, `;` parameters, a trailing `/`) is classified with `loosePath`, and under
 * /api anything but the canonical spelling is refused (400) before routing, auth or body parsing
 * (security/mount.ts).
 */

const UNRESERVED = /^[A-Za-z0-9._~-]$/;

/** `%XX` → its byte, leniently (a malformed escape stays as it is). */
const decodeBytes = (s: string) =>
  s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

/**
 * The path as the most lenient server would read it: decoded (up to three times), `\` as `/`, `;params`
 * dropped, empty and `.` segments dropped, `..` resolved, lower case. Only for classifying a request
 * (is it aimed at the API?), never for routing.
 */
export function loosePath(raw: string): string {
  let p = raw;
  for (let i = 0; i < 3; i++) {
    const d = decodeBytes(p);
    if (d === p) break;
    p = d;
  }
  const out: string[] = [];
  for (const seg of p.replace(/\\/g, '/').toLowerCase().split('/')) {
    const s = seg.split(';')[0].trim();
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return `/${out.join('/')}`;
}

const API_PREFIX = /^\/*api(?:[/\\;]|$)/;

/**
 * Whether any reading of the path points into /api (the API and its docs): as sent, decoded, or with
 * dots resolved. A parameter such as `..%2f..%2fx` resolves away from /api, yet the raw path still
 * routes there; so every reading counts, not only the most lenient one.
 */
export function isApiPath(raw: string): boolean {
  const readings = [raw, decodeBytes(decodeBytes(decodeBytes(raw))).replace(/\\/g, '/'), loosePath(raw)];
  return readings.some((r) => API_PREFIX.test(r.toLowerCase()));
}

/** Why `raw` is not a canonical path (what makes it ambiguous), or null when it is one. */
export function nonCanonical(raw: string): string | null {
  if (!raw.startsWith('/')) return 'it does not start with /';
  if (raw.includes('\\')) return 'it contains a backslash';
  if (raw.includes(';')) return "it has ';' parameters";
  if (raw.includes('//')) return 'it has an empty segment (//)';
  if (raw.length > 1 && raw.endsWith('/')) return 'it ends with /';
  if (raw.split('/').some((s) => s === '.' || s === '..')) return 'it has . or .. segments';
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) return 'it has a malformed percent-escape';
  for (const [, hex] of raw.matchAll(/%([0-9A-Fa-f]{2})/g)) {
    const code = parseInt(hex, 16);
    const c = String.fromCharCode(code);
    if (UNRESERVED.test(c) || '/\\;%'.includes(c) || code < 0x20 || code === 0x7f)
      return `it percent-encodes ${JSON.stringify(c)} (%${hex})`;
  }
  return null;
}
