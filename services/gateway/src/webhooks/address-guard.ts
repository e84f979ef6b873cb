import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup as dnsLookupAll } from 'node:dns/promises';
import { addressRefusal, hostExempt, parseIp, type AddressPolicy } from '@glimpse/platform';

const HINT = 'list the host or its network in WEBHOOK_ALLOWED_HOSTS to allow it';

/** Resolves a host name to every address it has (A and AAAA). */
export type Resolver = (host: string) => Promise<string[]>;

const dnsResolver: Resolver = async (host) =>
  (await dnsLookupAll(host, { all: true, verbatim: true })).map((a) => a.address);

/** Whether an address literal is refused by the policy (loopback, private, link-local, metadata …). */
export function isRefusedAddress(address: string, policy: AddressPolicy): boolean {
  return addressRefusal(address, policy) !== undefined;
}

/**
 * Checks a webhook URL without DNS: http(s), no credentials, and no refused host literal (or `localhost`).
 * Returns an error message or null. Names are resolved by `registrationProblem` and again at every
 * connection (`guardedLookup`), so a name that is re-pointed later (DNS rebinding) is refused too.
 */
export function urlProblem(raw: string, policy: AddressPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url: not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'url: only http and https are allowed';
  if (url.username || url.password) return 'url: must not carry credentials';
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (hostExempt(host, policy)) return null;
  // `localhost.` (the root's trailing dot) and the usual aliases are loopback too, resolvable or not
  const name = host.replace(/\.+$/, '');
  if (
    ['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback'].includes(name) ||
    name.endsWith('.localhost')
  ) {
    return `url: ${host} is loopback; ${HINT}`;
  }
  if (parseIp(host)) {
    const why = addressRefusal(host, policy);
    if (why) return `url: ${host} is not a public address (${why}); ${HINT}`;
  }
  return null;
}

/**
 * `urlProblem`, then the name's current addresses: a name that resolves to a refused address is refused
 * at registration (400). A name that does not resolve (yet) is accepted; delivery checks it again.
 */
export async function registrationProblem(
  raw: string,
  policy: AddressPolicy,
  resolver: Resolver = dnsResolver,
  timeoutMs = 5_000,
): Promise<string | null> {
  const problem = urlProblem(raw, policy);
  if (problem) return problem;
  const host = new URL(raw).hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (hostExempt(host, policy) || parseIp(host)) return null;
  const addresses = await withTimeout(resolver(host), timeoutMs).catch(() => [] as string[]);
  for (const address of addresses) {
    const why = addressRefusal(address, policy);
    if (why) return `url: ${host} resolves to ${address}, which is not a public address (${why}); ${HINT}`;
  }
  return null;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error('DNS lookup timed out')), ms).unref()),
  );
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s).request that refuses names resolving to refused addresses, at connection time,
 * after resolution (so DNS rebinding cannot slip past the registration check). Literals go through it too.
 */
export function guardedLookup(policy: AddressPolicy, lookup: typeof dnsLookup = dnsLookup) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      if (!hostExempt(hostname, policy)) {
        const bad = list.find((a) => isRefusedAddress(a.address, policy));
        if (bad) {
          const why = addressRefusal(bad.address, policy);
          const e = new Error(
            `${hostname} resolves to ${bad.address}, which is not a public address (${why}); ${HINT}`,
          ) as NodeJS.ErrnoException;
          e.code = 'EPRIVATEADDRESS';
          return callback(e, '', 0);
        }
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}
