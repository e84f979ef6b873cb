import { Cidr, isHostName, nonPublicRange, parseIp } from './ip-ranges';

const range = (ip: string) => nonPublicRange(parseIp(ip)!);

describe('parseIp', () => {
  it('reads IPv4, IPv6 (compressed, bracketed, with dotted tail) and nothing else', () => {
    expect(parseIp('10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIp('[::1]')).toEqual({ family: 6, value: 1n });
    expect(parseIp('::ffff:1.2.3.4')).toEqual(parseIp('::ffff:102:304'));
    expect(parseIp('2001:db8::8:800:200c:417a')?.value).toBe(0x20010db80000000000080800200c417an);
    for (const bad of ['localhost', '0x7f000001', '2130706433', '1.2.3', '1.2.3.256', 'fe80::1%eth0', '', '[]']) {
      expect(parseIp(bad)).toBeUndefined();
    }
  });
});

describe('nonPublicRange', () => {
  it('names the special ranges, and passes public addresses', () => {
    expect(range('127.1.2.3')).toBe('loopback');
    expect(range('172.31.255.255')).toBe('private (RFC 1918)');
    expect(range('172.32.0.1')).toBeUndefined();
    expect(range('8.8.8.8')).toBeUndefined();
    expect(range('255.255.255.255')).toMatch(/broadcast/);
    expect(range('::ffff:192.168.0.1')).toBe('IPv4-mapped 192.168.0.1: private (RFC 1918)');
    expect(range('::ffff:8.8.8.8')).toBeUndefined();
    expect(range('2606:4700::1111')).toBeUndefined();
    expect(range('::1')).toBe('loopback');
    expect(range('::')).toMatch(/unspecified/);
  });
});

describe('Cidr', () => {
  it('matches addresses of its family inside the block', () => {
    const net = Cidr.parse('192.168.1.0/24')!;
    expect(net.contains(parseIp('192.168.1.200')!)).toBe(true);
    expect(net.contains(parseIp('192.168.2.1')!)).toBe(false);
    expect(net.contains(parseIp('::ffff:192.168.1.1')!)).toBe(false);
    expect(Cidr.parse('fd00::/8')!.contains(parseIp('fdff::1')!)).toBe(true);
    expect(Cidr.parse('10.0.0.7')!.contains(parseIp('10.0.0.7')!)).toBe(true);
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/8/8', 'cam/24', '::/129'])
      expect(Cidr.parse(bad)).toBeUndefined();
  });
});

describe('isHostName', () => {
  it('takes DNS names and refuses anything a URL parser might read differently', () => {
    for (const ok of ['cam', 'cam-1.lan', 'a.b.example.com.', 'my_cam.local']) expect(isHostName(ok)).toBe(true);
    for (const bad of ['ca%6d', 'a b', 'a@b', '-cam', 'a..b', '', 'x'.repeat(254)]) expect(isHostName(bad)).toBe(false);
  });
});
