import type { LookupAddress, LookupOptions } from 'node:dns';
import { addressPolicy } from '@glimpse/platform';
import { guardedLookup, registrationProblem, urlProblem } from './address-guard';

const strict = addressPolicy(false);
const REFUSED = [
  'http://127.0.0.1:3000/',
  'http://127.0.0.1:4222/', // the NATS port
  'http://localhost:3000/',
  'http://api.localhost/',
  'http://localhost./',
  'http://LOCALHOST.localdomain/',
  'http://ip6-localhost/',
  'http://10.1.2.3/',
  'http://172.16.0.1/',
  'http://192.168.1.1/',
  'http://169.254.169.254/latest/meta-data',
  'http://[::1]/',
  'http://[fd00::1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:a9fe:a9fe]/', // 169.254.169.254, IPv4-mapped in hex
  'http://0.0.0.0/',
];

describe('urlProblem', () => {
  it('allows only http and https without credentials', () => {
    expect(urlProblem('https://hooks.example.com/x', strict)).toBeNull();
    expect(urlProblem('http://hooks.example.com:8080/x', strict)).toBeNull();
    expect(urlProblem('ftp://hooks.example.com/x', strict)).toMatch(/http and https/);
    expect(urlProblem('file:///etc/passwd', strict)).toMatch(/http and https/);
    expect(urlProblem('not a url', strict)).toMatch(/not a valid URL/);
    expect(urlProblem('https://user:pw@hooks.example.com/', strict)).toMatch(/credentials/);
  });
  it('refuses loopback, private, link-local and metadata literals by default', () => {
    for (const u of REFUSED)
      expect([u, urlProblem(u, strict)]).toEqual([u, expect.stringMatching(/WEBHOOK_ALLOWED_HOSTS/)]);
    expect(urlProblem('http://8.8.8.8/', strict)).toBeNull();
    expect(urlProblem('http://[2606:4700::1111]/', strict)).toBeNull();
  });
  it('lets the operator opt in per host, per block, or for everything', () => {
    for (const u of REFUSED) expect(urlProblem(u, addressPolicy(true))).toBeNull();
    const some = addressPolicy(false, ['127.0.0.1', '192.168.0.0/16', 'localhost']);
    expect(urlProblem('http://127.0.0.1:9000/', some)).toBeNull();
    expect(urlProblem('http://192.168.7.7/', some)).toBeNull();
    expect(urlProblem('http://localhost/', some)).toBeNull();
    expect(urlProblem('http://10.0.0.1/', some)).toMatch(/private/);
    expect(urlProblem('http://169.254.169.254/', some)).toMatch(/link-local/);
  });
});

describe('registrationProblem', () => {
  it('refuses a name that resolves to a refused address, and accepts public or unresolvable names', async () => {
    const resolver = async (host: string) =>
      ({ 'rebind.example': ['93.184.216.34', '10.0.0.7'], 'ok.example': ['93.184.216.34'] })[host] ?? [];
    expect(await registrationProblem('http://rebind.example/', strict, resolver)).toMatch(
      /resolves to 10\.0\.0\.7.*private/,
    );
    expect(await registrationProblem('http://ok.example/', strict, resolver)).toBeNull();
    expect(
      await registrationProblem('http://nxdomain.example/', strict, async () => Promise.reject(new Error('ENOTFOUND'))),
    ).toBeNull();
    expect(
      await registrationProblem('http://rebind.example/', addressPolicy(false, ['rebind.example']), resolver),
    ).toBeNull();
  });
});

describe('guardedLookup (every connection)', () => {
  type Cb = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
  const fakeDns = (addresses: LookupAddress[]) =>
    ((_h: string, _o: LookupOptions, cb: Cb) => cb(null, addresses)) as unknown as typeof import('node:dns').lookup;
  const run = (policy = strict, addresses: LookupAddress[]) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[] }>((resolve) =>
      guardedLookup(policy, fakeDns(addresses))('hooks.example.com', {}, (err, address) => resolve({ err, address })),
    );

  it('refuses a name that now resolves to a private or metadata address (DNS rebinding)', async () => {
    for (const address of ['127.0.0.1', '169.254.169.254', '::1', '192.168.0.5']) {
      const r = await run(strict, [{ address, family: address.includes(':') ? 6 : 4 }]);
      expect(r.err?.code).toBe('EPRIVATEADDRESS');
    }
  });
  it('passes public addresses, and private ones the operator allowed', async () => {
    expect(await run(strict, [{ address: '93.184.216.34', family: 4 }])).toEqual({
      err: null,
      address: '93.184.216.34',
    });
    expect((await run(addressPolicy(false, ['127.0.0.0/8']), [{ address: '127.0.0.1', family: 4 }])).err).toBeNull();
    expect(
      (await run(addressPolicy(false, ['hooks.example.com']), [{ address: '10.0.0.1', family: 4 }])).err,
    ).toBeNull();
  });
});
