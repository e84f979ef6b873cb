import { GlimpseError } from '@glimpse/platform';
import { HttpProblem } from '../problem';
import { validateOffer } from './sdp';

/** A browser-like offer (trimmed): bundled video and audio, both sendonly, with host candidates. */
const OFFER = [
  'v=0',
  'o=- 571114211721449077 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'm=video 44452 UDP/TLS/RTP/SAVPF 96 97',
  'c=IN IP4 192.0.2.2',
  'a=candidate:3229573512 1 udp 2122194687 192.0.2.2 44452 typ host generation 0 network-id 1',
  'a=ice-ufrag:B197',
  'a=ice-pwd:s8JpmJQ5Eb6cr85wylgFlEhQ',
  'a=fingerprint:sha-256 E4:83:C2:5B:E6:BD:94:A2:16:8E:DD:56:76:D6:98:09:DC:F3:EB:34:4A:E6:CD:07:00:13:2C:D8:7D:D7:56:3F',
  'a=setup:actpass',
  'a=mid:0',
  'a=sendonly',
  'a=rtpmap:96 VP8/90000',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  'a=mid:1',
  'a=sendonly',
  'a=rtpmap:111 opus/48000/2',
  '',
].join('\r\n');

const reason = (sdp: string) => {
  try {
    validateOffer(sdp);
    return 'ok';
  } catch (err) {
    expect(err instanceof GlimpseError || err instanceof HttpProblem).toBe(true);
    return `${(err as GlimpseError | HttpProblem).code}: ${(err as Error).message}`;
  }
};

describe('validateOffer', () => {
  it('accepts a browser offer, with CRLF or LF line ends', () => {
    expect(reason(OFFER)).toBe('ok');
    expect(reason(OFFER.replace(/\r\n/g, '\n'))).toBe('ok');
  });

  it('accepts an offer without candidates (the capture side still reaches the client)', () => {
    expect(
      reason(
        OFFER.split('\r\n')
          .filter((l) => !l.startsWith('a=candidate'))
          .join('\r\n'),
      ),
    ).toBe('ok');
  });

  it.each([
    ['an empty body', '', /body is empty/],
    ['text that is not SDP', 'hello world', /must start with 'v=0'/],
    ['JSON', '{"sdp":"v=0"}', /must start with 'v=0'/],
    ['a line that is not key=value', OFFER.replace('s=-', 'this is not sdp'), /line 3 is not/],
    ['no origin line', OFFER.replace(/o=[^\r]*\r\n/, ''), /no origin/],
    [
      'audio only',
      OFFER.replace('m=video 44452 UDP/TLS/RTP/SAVPF 96 97', 'm=audio 44452 UDP/TLS/RTP/SAVPF 96 97'),
      /no video/,
    ],
    ['rejected video (port 0)', OFFER.replace('m=video 44452', 'm=video 0'), /no video/],
    [
      'video that only receives',
      OFFER.replace('a=mid:0\r\na=sendonly', 'a=mid:0\r\na=recvonly'),
      /recvonly or inactive/,
    ],
    ['no ICE password', OFFER.replace(/a=ice-pwd:[^\r]*\r\n/, ''), /no ICE credentials/],
    ['no DTLS fingerprint', OFFER.replace(/a=fingerprint:[^\r]*\r\n/, ''), /no DTLS fingerprint/],
    ['a NUL byte', OFFER.replace('s=-', 's=\0'), /line 3/],
  ])('refuses %s with a 400 that says why', (_name, sdp, why) => {
    const r = reason(sdp);
    expect(r).toMatch(/^INVALID_REQUEST: malformed SDP offer: /);
    expect(r).toMatch(why);
  });

  it('refuses an offer over 64 KiB as too large', () => {
    expect(reason(OFFER + `a=x-pad:${'x'.repeat(70_000)}\r\n`)).toMatch(/^BODY_TOO_LARGE/);
  });
});
