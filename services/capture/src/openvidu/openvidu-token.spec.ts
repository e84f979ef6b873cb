import { parseOpenViduToken, redactToken } from './openvidu-token';

describe('OpenVidu tokens', () => {
  const token = 'wss://ov.example.com:4443?sessionId=ses_A1&token=tok_B2';

  it('derive the JSON-RPC endpoint, as openvidu-browser does', () => {
    expect(parseOpenViduToken(token)).toEqual({
      wsUrl: 'wss://ov.example.com:4443/openvidu?sessionId=ses_A1',
      sessionId: 'ses_A1',
      token,
    });
  });

  it('take the host from the server URL when given (inside Docker the token names the public address)', () => {
    expect(parseOpenViduToken(token, 'http://openvidu:5443/').wsUrl).toBe(
      'ws://openvidu:5443/openvidu?sessionId=ses_A1',
    );
    expect(parseOpenViduToken(token, 'https://ov.internal').wsUrl).toBe('wss://ov.internal/openvidu?sessionId=ses_A1');
  });

  it('are refused when they are not OpenVidu 2.x tokens', () => {
    expect(() => parseOpenViduToken('not a url')).toThrow(/not a URL/);
    expect(() => parseOpenViduToken('wss://h?token=tok_1')).toThrow(/no sessionId/);
    expect(() => parseOpenViduToken('wss://h?sessionId=ses_1')).toThrow(/no token parameter/);
    expect(() => parseOpenViduToken('ftp://h?sessionId=ses_1&token=tok_1')).toThrow(
      /unsupported OpenVidu URL scheme ftp:/,
    );
  });

  it('lose their secret part in logs', () => {
    expect(redactToken(token)).toBe('wss://ov.example.com:4443?sessionId=ses_A1&token=…');
  });
});
