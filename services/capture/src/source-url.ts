import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GlimpseError } from '@glimpse/platform';
import type { SourceSpec } from './frame-source';

const NETWORK = new Set(['rtsp:', 'rtsps:', 'http:', 'https:']);
const ACCEPTED = 'an absolute file path, a file: URL, or an rtsp:, rtsps:, http: or https: URL';

/** Turns a StreamStart `url` into a source, or explains with INVALID_REQUEST why it cannot be one. */
export async function parseSourceUrl(url: string, loop = false): Promise<SourceSpec> {
  const invalid = (why: string) => new GlimpseError('INVALID_REQUEST', why);
  if (url.startsWith('/')) return fileSpec(url, url, loop);

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(`not a URL or absolute path: '${url}'; expected ${ACCEPTED}`);
  }
  if (parsed.protocol === 'file:') {
    let path: string;
    try {
      path = fileURLToPath(parsed);
    } catch (err) {
      throw invalid(`bad file URL '${url}': ${(err as Error).message}`);
    }
    return fileSpec(path, url, loop);
  }
  if (!NETWORK.has(parsed.protocol)) throw invalid(`unsupported URL scheme '${parsed.protocol}'; expected ${ACCEPTED}`);
  if (!parsed.hostname) throw invalid(`URL '${url}' has no host`);
  if (loop) throw invalid('loop applies to files only');
  return {
    kind: 'network',
    url: parsed.href,
    protocol: parsed.protocol.slice(0, -1) as 'rtsp',
    secrets: urlSecrets(parsed),
  };
}

/**
 * Query parameters whose values are credentials (`?user=admin&password=…`, `?token=…`, `?api_key=…`), by
 * name, case-insensitively: their values are masked like the password of `user:password@`.
 */
const SECRET_PARAM = /pass|pwd|secret|token|key|auth|cred|sig/i;

const isSecretParam = (rawName: string) => SECRET_PARAM.test(decodeURIComponentSafe(rawName.replace(/\+/g, ' ')));

/** Every credential a URL carries (its password, the values of credential-like query parameters), as written and decoded. */
export function urlSecrets(u: URL): string[] {
  const values = [u.password];
  for (const pair of u.search.slice(1).split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && isSecretParam(pair.slice(0, eq))) values.push(pair.slice(eq + 1));
  }
  const all = values.flatMap((v) => [v, decodeURIComponentSafe(v), decodeURIComponentSafe(v.replace(/\+/g, ' '))]);
  return [...new Set(all)].filter((v) => v.length > 0);
}

/** A query string (`?a=b&…`, or without the `?`) with the values of credential-like parameters as `***`. */
function maskQuery(query: string): string {
  return query.replace(/([?&;]|^)([^=&#?;]*)=([^&#;]*)/g, (whole, sep: string, name: string, value: string) =>
    value && isSecretParam(name) ? `${sep}${name}=***` : whole,
  );
}

/**
 * A URL the URL parser refuses, masked by its shape alone: everything between `://` and the last `@`
 * of the authority (user, password, even a password holding `@` or `/`), and credential-like query values.
 */
function maskUnparsed(url: string): string {
  const start = url.indexOf('://');
  let out = url;
  if (start >= 0) {
    const rest = url.slice(start + 3);
    const queryAt = rest.search(/[?#]/);
    const head = queryAt >= 0 ? rest.slice(0, queryAt) : rest;
    let at = head.lastIndexOf('@');
    if (at < 0) at = rest.lastIndexOf('@'); // a password holding `?` or `#`
    if (at >= 0) out = `${url.slice(0, start + 3)}***${rest.slice(at)}`;
  }
  const q = out.indexOf('?');
  return q >= 0 ? out.slice(0, q) + maskQuery(out.slice(q)) : out;
}

/** The URL as clients and logs may see it: its password and credential-like query values become `***`. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return maskUnparsed(url);
  }
  const search = maskQuery(u.search);
  if (!u.password && search === u.search) return url;
  if (u.password) u.password = '***';
  if (search !== u.search) u.search = search;
  return u.href;
}

/**
 * Free text (an error message) with the credentials of `url` replaced by `***`: the URL itself wherever it
 * is quoted, then (when it parses) each secret it carries wherever else it appears. A URL too malformed for
 * the URL parser is masked by its shape (maskUnparsed), never by replacing pieces of it all over the text.
 */
export function redactUrlIn(text: string, url: string): string {
  if (!url) return text;
  const quoted = text.split(url).join(redactUrl(url));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return quoted;
  }
  return redact(quoted.split(parsed.href).join(redactUrl(parsed.href)), urlSecrets(parsed));
}

/** Replaces every secret in free text (ffmpeg's stderr echoes URLs), longest first. */
export function redact(text: string, secrets: readonly string[]): string {
  return [...secrets].sort((a, b) => b.length - a.length).reduce((t, s) => t.split(s).join('***'), text);
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function fileSpec(path: string, url: string, loop: boolean): Promise<SourceSpec> {
  if (!isAbsolute(path)) throw new GlimpseError('INVALID_REQUEST', `file path must be absolute: '${url}'`);
  const st = await stat(path).catch(() => null);
  if (!st) throw new GlimpseError('INVALID_REQUEST', `file not found: ${path}`);
  if (!st.isFile()) throw new GlimpseError('INVALID_REQUEST', `not a regular file: ${path}`);
  const readable = await access(path, constants.R_OK).then(
    () => true,
    () => false,
  );
  if (!readable) throw new GlimpseError('INVALID_REQUEST', `file not readable: ${path}`);
  return { kind: 'file', path, loop };
}
