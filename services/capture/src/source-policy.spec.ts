import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlimpseError } from '@glimpse/platform';
import { loadCaptureConfig } from './config';
import { checkSourcePolicy, hostOf, isPrivateHost, sourcePolicyFrom, type Resolver } from './source-policy';

/** A DNS stand-in: names map to fixed addresses, anything else does not resolve. */
const DNS: Record<string, string[]> = {
  'cam.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  localhost: ['127.0.0.1', '::1'],
  'rebind.example.com': ['93.184.216.34', '10.1.2.3'],
  'metadata.example.com': ['169.254.169.254'],
  'cam1.lan': ['192.168.1.10'],
};
const resolver: Resolver = async (host) => {
  const a = DNS[host.toLowerCase().replace(/\.$/, '')];
  if (!a) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
  return a;
};

const root = mkdtempSync(join(tmpdir(), 'glimpse-policy-'));
const uploads = join(root, 'uploads');
const outside = join(root, 'outside');
mkdirSync(uploads);
mkdirSync(outside);
writeFileSync(join(uploads, 'ok.mp4'), 'x');
writeFileSync(join(outside, 'secret.mp4'), 'x');
symlinkSync(join(outside, 'secret.mp4'), join(uploads, 'escape.mp4'));
symlinkSync(outside, join(uploads, 'dir-escape'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const policy = (env: Record<string, string> = {}) => sourcePolicyFrom(loadCaptureConfig(env), resolver);
const withFiles = policy({ STREAM_ALLOWED_SCHEMES: 'rtsp,http,https,file', STREAM_FILE_ROOTS: uploads });

async function refusal(url: string, p = policy()): Promise<string> {
  const err = await checkSourcePolicy(url, p).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof GlimpseError)) throw new Error(`expected '${url}' to be refused`);
  expect(err.code).toBe('INVALID_REQUEST');
  return err.message;
}

describe('checkSourcePolicy (defaults)', () => {
  it.each([
    ['file:///etc/passwd', /'file:' scheme is not allowed.*STREAM_ALLOWED_SCHEMES/],
    ['/etc/passwd', /file sources are not allowed.*STREAM_ALLOWED_SCHEMES=\.\.\.,file/],
    ['http://127.0.0.1/x', /'127\.0\.0\.1' is not a public address \(loopback\).*STREAM_ALLOWED_HOSTS/],
    ['http://localhost:8080/x', /'localhost' resolves to 127\.0\.0\.1, which is not a public address \(loopback\)/],
    ['http://[::1]/x', /loopback/],
    ['http://[::ffff:127.0.0.1]/x', /'\[::ffff:7f00:1\]' is not a public address \(loopback\)/],
    ['rtsp://[::ffff:7f00:1]/x', /not a public address \(loopback\)/],
    ['http://0x7f000001/x', /loopback/], // WHATWG turns this into 127.0.0.1
    ['http://2130706433/x', /loopback/],
    ['http://0177.0.0.1/x', /loopback/],
    ['rtsp://0x7f000001/x', /non-standard notation/], // rtsp: hosts are not normalized, getaddrinfo would read it as 127.0.0.1
    ['rtsp://2130706433/x', /non-standard notation/],
    ['http://169.254.169.254/latest/meta-data', /link-local \(incl\. cloud metadata\)/],
    ['http://metadata.example.com/', /resolves to 169\.254\.169\.254/],
    ['http://10.0.0.5/', /private \(RFC 1918\)/],
    ['rtsp://user:pw@192.168.1.10/live', /'192\.168\.1\.10' is not a public address \(private \(RFC 1918\)\)/],
    ['http://cam.example.com@127.0.0.1/', /loopback/], // userinfo is not the host
    ['http://100.64.1.1/', /carrier-grade NAT/],
    ['http://0.0.0.0/', /this network/],
    ['http://[::]/', /unspecified/],
    ['http://[fd12:3456::1]/', /unique-local/],
    ['http://[fe80::1]/', /link-local/],
    ['http://224.0.0.1/', /multicast/],
    ['rtsp://[ff02::1]/', /multicast/],
    ['http://[64:ff9b::a00:1]/', /NAT64 10\.0\.0\.1: private/],
    ['http://[2002:c0a8:0101::1]/', /6to4 192\.168\.1\.1: private/],
    ['http://rebind.example.com/', /resolves to 10\.1\.2\.3/], // one private address among public ones is enough
    ['http://nowhere.example.com/', /cannot resolve 'nowhere\.example\.com' \(getaddrinfo ENOTFOUND/],
    ['http://evil.com\\@127.0.0.1/', /backslashes/],
    ['http://cam.example.com/a b', /whitespace/],
    ['gopher://cam.example.com/', /'gopher:' scheme is not allowed; allowed: rtsp, rtsps, http, https/],
    ['concat:/etc/passwd|/etc/shadow', /'concat:' scheme is not allowed/],
    ['rtsp://ca%6d.example.com/', /not a valid host name/],
  ])('refuses %s', async (url, why) => {
    expect(await refusal(url)).toMatch(why);
  });

  it('accepts public hosts by name or address, on any allowed scheme', async () => {
    for (const url of [
      'rtsp://cam.example.com:554/live',
      'https://CAM.example.com./x.m3u8',
      'http://93.184.216.34/mjpg',
      'rtsps://[2606:2800:220:1::1]/x',
    ]) {
      await expect(checkSourcePolicy(url, policy())).resolves.toBeUndefined();
    }
  });

  it('leaves garbage for parseSourceUrl to explain', async () => {
    await expect(checkSourcePolicy('not a url'.replace(/ /g, ''), policy())).resolves.toBeUndefined();
  });

  it('times out a DNS lookup that hangs', async () => {
    const p = { ...policy(), resolver: () => new Promise<string[]>(() => undefined), lookupTimeoutMs: 50 };
    expect(await refusal('rtsp://slow.example.com/', p)).toMatch(/cannot resolve .*timed out/);
  });
});

describe('checkSourcePolicy (operator settings)', () => {
  it('lets listed host names and networks through, and only those', async () => {
    const p = policy({ STREAM_ALLOWED_HOSTS: 'cam1.lan, 10.0.0.0/8, ::1' });
    for (const url of [
      'rtsp://cam1.lan/live',
      'rtsp://CAM1.LAN./live',
      'http://10.9.8.7/',
      'http://[::1]/',
      'http://[::ffff:10.0.0.1]/',
    ]) {
      await expect(checkSourcePolicy(url, p)).resolves.toBeUndefined();
    }
    expect(await refusal('http://192.168.1.10/', p)).toMatch(/private/);
    expect(await refusal('http://127.0.0.1/', p)).toMatch(/loopback/);
  });

  it('STREAM_ALLOW_PRIVATE=true allows every host, but not other schemes', async () => {
    const p = policy({ STREAM_ALLOW_PRIVATE: 'true' });
    await expect(checkSourcePolicy('http://127.0.0.1:8080/x', p)).resolves.toBeUndefined();
    await expect(checkSourcePolicy('rtsp://localhost/x', p)).resolves.toBeUndefined();
    expect(await refusal('file:///etc/passwd', p)).toMatch(/scheme is not allowed/);
  });

  it('allows files only under STREAM_FILE_ROOTS, resolving symlinks', async () => {
    await expect(checkSourcePolicy(join(uploads, 'ok.mp4'), withFiles)).resolves.toBeUndefined();
    await expect(checkSourcePolicy(`file://${join(uploads, 'ok.mp4')}`, withFiles)).resolves.toBeUndefined();
    // missing files inside a root are parseSourceUrl's "file not found"
    await expect(checkSourcePolicy(join(uploads, 'missing.mp4'), withFiles)).resolves.toBeUndefined();
    for (const bad of [
      '/etc/passwd',
      'file:///etc/passwd',
      join(outside, 'secret.mp4'),
      `${uploads}/../outside/secret.mp4`,
      join(uploads, 'escape.mp4'),
      join(uploads, 'dir-escape', 'secret.mp4'),
      uploads,
    ]) {
      expect(await refusal(bad, withFiles)).toMatch(
        /files must lie under one of the directories in STREAM_FILE_ROOTS$/,
      );
    }
    // a file outside the roots gets the same answer whether or not it exists
    expect(await refusal('/no/such/file.mp4', withFiles)).toBe(await refusal('/etc/passwd', withFiles));
    expect(await refusal('/etc/passwd', policy({ STREAM_ALLOWED_SCHEMES: 'file' }))).toMatch(
      /no STREAM_FILE_ROOTS are configured/,
    );
    expect(await refusal('file://remote-host/share/a.mp4', withFiles)).toMatch(/local absolute path/);
  });
});

describe('isPrivateHost and hostOf (the Cameras page host check)', () => {
  it('says whether a host is on the LAN whatever the allow-lists, resolving names', async () => {
    const allowing = policy({ STREAM_ALLOWED_HOSTS: '192.168.1.0/24,cam1.lan' });
    expect(await isPrivateHost('rtsp://u:p@192.168.1.10/x', allowing)).toBe(true);
    expect(await isPrivateHost('rtsp://cam1.lan/x', allowing)).toBe(true);
    expect(await isPrivateHost('rtsp://cam.example.com/x', allowing)).toBe(false);
    // one private address among the answers is enough: capture refuses such a host too
    expect(await isPrivateHost('rtsp://rebind.example.com/x', policy())).toBe(true);
    expect(await isPrivateHost('rtsp://[::1]:8554/x', policy())).toBe(true);
    expect(await isPrivateHost('rtsp://nowhere.invalid/x', policy())).toBe(false);
    expect(await isPrivateHost('/videos/a.mp4', policy())).toBe(false);
  });

  it('names the host without credentials or port, and none for files and junk', () => {
    expect(hostOf('rtsp://admin:secret@cam1.lan:554/h264')).toBe('cam1.lan');
    expect(hostOf('file:///videos/a.mp4')).toBeNull();
    expect(hostOf('/videos/a.mp4')).toBeNull();
    expect(hostOf('not a url')).toBeNull();
  });
});
