import { lookup } from 'node:dns/promises';
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GlimpseError } from '@glimpse/platform';
import type { CaptureConfig, SourceScheme } from './config';
import { Cidr, isHostName, nonPublicRange, parseIp, unmapped } from './ip-ranges';

/** Resolves a host name to every address it has (A and AAAA). */
export type Resolver = (host: string) => Promise<string[]>;

/** What StreamStart URLs may point at (capture's STREAM_* settings). */
export interface SourcePolicy {
  schemes: readonly SourceScheme[];
  allowPrivate: boolean;
  /** Lower-case host names, and address blocks, exempt from the private-address check. */
  allowedNames: ReadonlySet<string>;
  allowedBlocks: readonly Cidr[];
  fileRoots: readonly string[];
  resolver: Resolver;
  /** Longest wait for DNS (ms). */
  lookupTimeoutMs: number;
}

const dnsResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export function sourcePolicyFrom(cfg: CaptureConfig, resolver: Resolver = dnsResolver): SourcePolicy {
  const blocks = cfg.STREAM_ALLOWED_HOSTS.map((h) => Cidr.parse(h)).filter((c): c is Cidr => c !== undefined);
  const names = cfg.STREAM_ALLOWED_HOSTS.filter((h) => !Cidr.parse(h)).map(normalizeName);
  return {
    schemes: cfg.STREAM_ALLOWED_SCHEMES,
    allowPrivate: cfg.STREAM_ALLOW_PRIVATE,
    allowedNames: new Set(names),
    allowedBlocks: blocks,
    fileRoots: cfg.STREAM_FILE_ROOTS,
    resolver,
    lookupTimeoutMs: cfg.NETWORK_TIMEOUT_MS,
  };
}

const refused = (why: string) => new GlimpseError('INVALID_REQUEST', `stream source refused: ${why}`);
const normalizeName = (h: string) => h.toLowerCase().replace(/\.$/, '');

/**
 * Throws INVALID_REQUEST unless `url` is a source this capture may open: an allowed scheme, a host
 * that is public (or explicitly allowed), or a file under STREAM_FILE_ROOTS. Runs before
 * `parseSourceUrl`, which checks the rest (the file exists, loop only for files).
 */
export async function checkSourcePolicy(url: string, policy: SourcePolicy): Promise<void> {
  const parsed = checkSourceShape(url, policy);
  if (url.startsWith('/')) return checkFile(url, policy);
  if (!parsed) return; // parseSourceUrl explains what a valid URL looks like
  if (parsed.protocol === 'file:') return checkFile(filePath(parsed), policy);
  await checkHost(parsed, policy);
}

/**
 * The part of checkSourcePolicy that needs no I/O (no DNS lookup, no file system): no odd characters, an
 * allowed scheme, a well-formed host name. Throws INVALID_REQUEST; returns the parsed URL, or null for a
 * path or a string the URL parser refuses (parseSourceUrl explains those).
 */
export function checkSourceShape(url: string, policy: SourcePolicy): URL | null {
  // ffmpeg and WHATWG split odd URLs differently (`\`, spaces): such URLs are never needed
  // eslint-disable-next-line no-control-regex -- naming control characters is the point
  if (/[\s\\\x00-\x1f\x7f]/.test(url)) throw refused('the URL contains whitespace, control characters or backslashes');
  if (url.startsWith('/')) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (!(policy.schemes as readonly string[]).includes(scheme)) {
    const hint =
      scheme === 'file' ? ' (an operator can allow files with STREAM_ALLOWED_SCHEMES and STREAM_FILE_ROOTS)' : '';
    throw refused(`the '${scheme}:' scheme is not allowed; allowed: ${policy.schemes.join(', ')}${hint}`);
  }
  if (scheme !== 'file') checkHostName(parsed.hostname);
  return parsed;
}

function checkHostName(host: string): void {
  if (!host) return; // parseSourceUrl: "has no host"
  const literal = parseIp(host);
  if (!literal && !isHostName(host)) throw refused(`'${host}' is not a valid host name`);
  if (!literal && /^(0x[0-9a-f]*|\d+)$/i.test(host.split('.').filter(Boolean).at(-1) ?? '')) {
    throw refused(`'${host}' looks like an IP address in a non-standard notation; write it as a dotted quad`);
  }
}

function filePath(parsed: URL): string {
  try {
    return fileURLToPath(parsed);
  } catch {
    throw refused('a file: URL must name a local absolute path');
  }
}

async function checkFile(path: string, policy: SourcePolicy): Promise<void> {
  if (!policy.schemes.includes('file')) {
    throw refused(
      'file sources are not allowed (an operator can allow them with STREAM_ALLOWED_SCHEMES=...,file and STREAM_FILE_ROOTS)',
    );
  }
  if (policy.fileRoots.length === 0) throw refused('no STREAM_FILE_ROOTS are configured, so no file may be streamed');
  const outside = 'files must lie under one of the directories in STREAM_FILE_ROOTS'; // which ones is not the client's business
  // first by name, so that nothing is said about files elsewhere (not even whether they exist)
  const roots = await Promise.all(
    policy.fileRoots.map(async (r) => ({ given: r, real: await realpath(r).catch(() => r) })),
  );
  const abs = resolve(path);
  if (!roots.some((r) => within(r.given, abs) || within(r.real, abs))) throw refused(outside);
  // then the file itself: a symlink inside a root may point anywhere
  const real = await realpath(abs).catch(() => undefined);
  if (real && !roots.some((r) => within(r.real, real))) throw refused(outside);
}

const within = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
};

async function checkHost(parsed: URL, policy: SourcePolicy): Promise<void> {
  const host = parsed.hostname;
  if (!host) return; // parseSourceUrl: "has no host"
  const literal = parseIp(host);
  checkHostName(host);
  if (policy.allowPrivate || policy.allowedNames.has(normalizeName(host))) return;
  const addresses = literal ? [host] : await resolveAll(host, policy);
  for (const address of addresses) {
    const ip = unmapped(parseIp(address));
    if (!ip) throw refused(`'${host}' resolved to '${address}', which is not an IP address`);
    if (policy.allowedBlocks.some((b) => b.contains(ip))) continue;
    const range = nonPublicRange(ip);
    if (range) {
      const what = literal ? `'${host}' is` : `'${host}' resolves to ${address}, which is`;
      throw refused(
        `${what} not a public address (${range}); to allow it, list the host or its network in STREAM_ALLOWED_HOSTS (or set STREAM_ALLOW_PRIVATE=true)`,
      );
    }
  }
}

async function resolveAll(host: string, policy: SourcePolicy): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('DNS lookup timed out')), policy.lookupTimeoutMs).unref();
  });
  try {
    const addresses = await Promise.race([policy.resolver(host), timeout]);
    if (addresses.length === 0) throw new Error('no addresses');
    return addresses;
  } catch (err) {
    throw refused(`cannot resolve '${host}' (${(err as Error).message.split('\n')[0].slice(0, 200)})`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether a network URL's host is (or resolves to) a non-public address, whatever the allow-lists say: a
 * LAN camera, which only STREAM_ALLOWED_HOSTS or STREAM_ALLOW_PRIVATE let through. False when it cannot tell.
 */
export async function isPrivateHost(url: string, policy: SourcePolicy): Promise<boolean> {
  const host = hostOf(url);
  if (!host) return false;
  const addresses = parseIp(host) ? [host] : await resolveAll(host, policy).catch(() => []);
  return addresses.some((a) => {
    const ip = unmapped(parseIp(a));
    return ip !== undefined && nonPublicRange(ip) !== undefined;
  });
}

/** The host of a network URL (no credentials, no port); null for files and what does not parse. */
export function hostOf(url: string): string | null {
  if (url.startsWith('/')) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'file:' ? null : parsed.hostname || null;
  } catch {
    return null;
  }
}
