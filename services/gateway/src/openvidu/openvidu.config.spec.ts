import { ConfigError } from '@glimpse/platform';
import { loadOpenViduConfig } from './openvidu.config';

describe('OpenVidu configuration', () => {
  it('is off with neither variable, and on with both', () => {
    expect(loadOpenViduConfig({})).toBeNull();
    expect(loadOpenViduConfig({ OPENVIDU_URL: '', OPENVIDU_SECRET: '' })).toBeNull();
    expect(loadOpenViduConfig({ OPENVIDU_URL: 'https://ov.example.com/', OPENVIDU_SECRET: 's3cret' })).toEqual({
      url: 'https://ov.example.com',
      secret: 's3cret',
      timeoutMs: 10_000,
    });
  });

  it('refuses one without the other, naming the missing one', () => {
    expect(() => loadOpenViduConfig({ OPENVIDU_URL: 'http://openvidu:5443' })).toThrow(ConfigError);
    expect(() => loadOpenViduConfig({ OPENVIDU_URL: 'http://openvidu:5443' })).toThrow(
      /OPENVIDU_SECRET: OPENVIDU_URL and OPENVIDU_SECRET go together/,
    );
    expect(() => loadOpenViduConfig({ OPENVIDU_SECRET: 'x' })).toThrow(
      /OPENVIDU_URL: OPENVIDU_URL and OPENVIDU_SECRET go together/,
    );
  });

  it('wants an http(s) URL', () => {
    expect(() => loadOpenViduConfig({ OPENVIDU_URL: 'wss://ov.example.com', OPENVIDU_SECRET: 'x' })).toThrow(
      /OPENVIDU_URL: expected an http\(s\) URL/,
    );
    expect(() => loadOpenViduConfig({ OPENVIDU_URL: 'ov.example.com', OPENVIDU_SECRET: 'x' })).toThrow(/OPENVIDU_URL/);
  });

  it("refuses OpenVidu's example secret in production", () => {
    const env = { OPENVIDU_URL: 'http://openvidu:5443', OPENVIDU_SECRET: 'MY_SECRET' };
    expect(() => loadOpenViduConfig({ ...env, NODE_ENV: 'production' })).toThrow(/OPENVIDU_SECRET is a known default/);
    expect(loadOpenViduConfig(env)?.secret).toBe('MY_SECRET');
    expect(loadOpenViduConfig({ ...env, NODE_ENV: 'production', OPENVIDU_SECRET: '6f1d0c9b8a7e2d4c' })?.secret).toBe(
      '6f1d0c9b8a7e2d4c',
    );
  });
});
