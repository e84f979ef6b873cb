import { Cidr, isHostName, nonPublicRange, parseIp, unmapped } from './ip-ranges';

/**
 * Which non-public destinations an outbound connection may reach: none by default; an operator opts in
 * per host name or address block (`cam1.lan,192.168.1.0/24`), or for all of them (`allowPrivate`).
 */
export interface AddressPolicy {
  allowPrivate: boolean;
  /** Lower-case host names (no trailing dot) exempt from the check. */
  allowedNames: ReadonlySet<string>;
  allowedBlocks: readonly Cidr[];
}

const normalizeName = (h: string): string => h.toLowerCase().replace(/\.$/, '');

/** Whether a setting's entry is a host name, an address or a CIDR block. */
export const isAllowedHostEntry = (h: string): boolean => Cidr.parse(h) !== undefined || isHostName(h);

/** A policy from an allow-private switch and an allow-list of names, addresses and CIDRs. */
export function addressPolicy(allowPrivate: boolean, allowedHosts: readonly string[] = []): AddressPolicy {
  const blocks = allowedHosts.map((h) => Cidr.parse(h)).filter((c): c is Cidr => c !== undefined);
  const names = allowedHosts.filter((h) => !Cidr.parse(h)).map(normalizeName);
  return { allowPrivate, allowedNames: new Set(names), allowedBlocks: blocks };
}

/** Whether a host (as written in a URL) is exempt by name or because everything private is allowed. */
export function hostExempt(host: string, policy: AddressPolicy): boolean {
  return policy.allowPrivate || policy.allowedNames.has(normalizeName(host.replace(/^\[|\]$/g, '')));
}

/**
 * Why connecting to `address` (an IP literal) is refused (`"loopback"`, `"private (RFC 1918)"`,
 * `"not an IP address"`), or undefined when it is public or allowed by the policy.
 */
export function addressRefusal(address: string, policy: AddressPolicy): string | undefined {
  if (policy.allowPrivate) return undefined;
  const ip = unmapped(parseIp(address));
  if (!ip) return 'not an IP address';
  if (policy.allowedBlocks.some((b) => b.contains(ip))) return undefined;
  return nonPublicRange(ip);
}
