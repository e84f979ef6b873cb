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
  const secrets = [parsed.password, decodeURIComponentSafe(parsed.password)].filter((s) => s.length > 0);
  return { kind: 'network', url: parsed.href, protocol: parsed.protocol.slice(0, -1) as 'rtsp', secrets };
}

/** The URL as clients and logs may see it: a password becomes `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.href;
  } catch {
    return url;
  }
}

/**
 * Free text (an error message) with the password of `url` replaced by `***`, also when `url` is too
 * malformed for the URL parser: then anything between `//user:` and `@` counts as the password.
 */
export function redactUrlIn(text: string, url: string): string {
  let secrets: string[] = [];
  try {
    const { password } = new URL(url);
    secrets = [password, decodeURIComponentSafe(password)];
  } catch {
    const m = /\/\/[^/:@]*:([^@]*)@/.exec(url);
    if (m?.[1]) secrets = [m[1], decodeURIComponentSafe(m[1])];
  }
  return redact(text, secrets.filter((s) => s.length > 0));
}

/** Replaces every secret in free text (ffmpeg's stderr echoes URLs). */
export function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, s) => t.split(s).join('***'), text);
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
