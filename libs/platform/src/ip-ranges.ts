import { isIPv4, isIPv6 } from 'node:net';

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/i;

/** A DNS name of letters, digits, `-` and `_` (no percent-escapes, no spaces, no `@`). */
export const isHostName = (s: string): boolean => HOST_NAME.test(s);

/** An IP address as a number: 32 bits for IPv4, 128 for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** Parses an IPv4 or IPv6 literal (IPv6 may be bracketed, may end in dotted IPv4); undefined otherwise. */
export function parseIp(text: string): IpAddress | undefined {
  const s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(s)) return { family: 4, value: v4Value(s) };
  if (!isIPv6(s) || s.includes('%')) return undefined; // a zone id (fe80::1%eth0) is never a camera on the internet
  return { family: 6, value: v6Value(s) };
}

function v4Value(s: string): bigint {
  return s.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6Value(s: string): bigint {
  let text = s;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = v4Value(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** An address block such as `10.0.0.0/8` or `fd00::/8`; a bare address is a /32 or /128. */
export class Cidr {
  private constructor(
    readonly family: 4 | 6,
    private readonly base: bigint,
    readonly prefix: number,
    readonly text: string,
  ) {}

  /** Undefined when `text` is not an address or block. */
  static parse(text: string): Cidr | undefined {
    const [addr, bits, extra] = text.trim().split('/');
    if (extra !== undefined) return undefined;
    const ip = parseIp(addr);
    if (!ip) return undefined;
    const width = ip.family === 4 ? 32 : 128;
    const prefix = bits === undefined ? width : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (!(prefix >= 0 && prefix <= width)) return undefined;
    return new Cidr(ip.family, ip.value >> BigInt(width - prefix), prefix, text.trim());
  }

  contains(ip: IpAddress): boolean {
    if (ip.family !== this.family) return false;
    return ip.value >> BigInt((ip.family === 4 ? 32 : 128) - this.prefix) === this.base;
  }
}

const MAPPED = Cidr.parse('::ffff:0:0/96')!;

/** `::ffff:a.b.c.d` as the IPv4 address it stands for (so that IPv4 blocks match it); others unchanged. */
export function unmapped(ip: IpAddress | undefined): IpAddress | undefined {
  return ip && MAPPED.contains(ip) ? { family: 4, value: ip.value & 0xffffffffn } : ip;
}

const block = (text: string, name: string) => ({ cidr: Cidr.parse(text)!, name });

/** IPv4 blocks that are not the public internet (RFC 6890 and friends). */
const V4_SPECIAL = [
  block('0.0.0.0/8', '"this network" (0.0.0.0)'),
  block('10.0.0.0/8', 'private (RFC 1918)'),
  block('100.64.0.0/10', 'carrier-grade NAT (RFC 6598)'),
  block('127.0.0.0/8', 'loopback'),
  block('169.254.0.0/16', 'link-local (incl. cloud metadata)'),
  block('172.16.0.0/12', 'private (RFC 1918)'),
  block('192.0.0.0/24', 'IETF protocol assignments'),
  block('192.168.0.0/16', 'private (RFC 1918)'),
  block('198.18.0.0/15', 'benchmarking (RFC 2544)'),
  block('224.0.0.0/4', 'multicast'),
  block('240.0.0.0/4', 'reserved (incl. broadcast)'),
];

/** IPv6 blocks that are not the public internet; blocks embedding IPv4 are handled first. */
const V6_SPECIAL = [
  block('::/128', 'unspecified (::)'),
  block('::1/128', 'loopback'),
  block('64:ff9b:1::/48', 'local-use NAT64'),
  block('100::/64', 'discard-only'),
  block('fc00::/7', 'unique-local'),
  block('fe80::/10', 'link-local'),
  block('fec0::/10', 'site-local'),
  block('ff00::/8', 'multicast'),
];

/** IPv6 forms that carry an IPv4 address, which decides: mapped, compatible, NAT64, 6to4. */
const V6_EMBEDDING: Array<{ cidr: Cidr; name: string; v4: (v: bigint) => bigint }> = [
  { ...block('::ffff:0:0/96', 'IPv4-mapped'), v4: (v) => v & 0xffffffffn },
  { ...block('::/96', 'IPv4-compatible'), v4: (v) => v & 0xffffffffn },
  { ...block('64:ff9b::/96', 'NAT64'), v4: (v) => v & 0xffffffffn },
  { ...block('2002::/16', '6to4'), v4: (v) => (v >> 80n) & 0xffffffffn },
];

/**
 * Why an address is not on the public internet (`"loopback"`, `"IPv4-mapped 10.0.0.1: private
 * (RFC 1918)"`), or undefined for a public address. Only literals reach here, never names.
 */
export function nonPublicRange(ip: IpAddress): string | undefined {
  if (ip.family === 4) return V4_SPECIAL.find((b) => b.cidr.contains(ip))?.name;
  for (const e of V6_EMBEDDING) {
    if (!e.cidr.contains(ip)) continue;
    const v4 = e.v4(ip.value);
    if (e.name === 'IPv4-compatible' && v4 <= 1n) break; // :: and ::1 are themselves
    const inner = nonPublicRange({ family: 4, value: v4 });
    return inner && `${e.name} ${formatV4(v4)}: ${inner}`;
  }
  return V6_SPECIAL.find((b) => b.cidr.contains(ip))?.name;
}

function formatV4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
}
