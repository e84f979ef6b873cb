import { ConfigError } from '@glimpse/platform';
import { loadCaptureConfig } from './config';

describe('capture config', () => {
  it('has working WebRTC defaults', () => {
    const cfg = loadCaptureConfig({});
    expect(cfg.WEBRTC_PORT_RANGE).toBeUndefined();
    expect(cfg).toMatchObject({
      SNAPSHOT_FPS: 2,
      WEBRTC_ICE_GATHER_TIMEOUT_MS: 3000,
      WEBRTC_CONNECT_TIMEOUT_MS: 10_000,
      WEBRTC_FRAME_TIMEOUT_MS: 5000,
      JPEG_QUALITY: 0.8,
    });
  });

  it('reads a UDP port range, and refuses a backwards or malformed one', () => {
    expect(loadCaptureConfig({ WEBRTC_PORT_RANGE: '40000-40100' }).WEBRTC_PORT_RANGE).toEqual([40000, 40100]);
    for (const bad of ['40100-40000', '40000', '0-10', '1-70000', 'a-b']) {
      expect(() => loadCaptureConfig({ WEBRTC_PORT_RANGE: bad })).toThrow(ConfigError);
    }
    expect(() => loadCaptureConfig({ JPEG_QUALITY: '80' })).toThrow(/JPEG_QUALITY/);
    expect(loadCaptureConfig({ WEBRTC_ANNOUNCED_IP: '203.0.113.7' }).WEBRTC_ANNOUNCED_IP).toBe('203.0.113.7');
    expect(() => loadCaptureConfig({ WEBRTC_ANNOUNCED_IP: 'my.host' })).toThrow(/WEBRTC_ANNOUNCED_IP/);
  });
});
