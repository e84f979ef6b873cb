import { ConfigError } from '@glimpse/platform';
import { resolve } from 'node:path';
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

  it('parses the OpenVidu variables with the rest, and lists bad ones of both together', () => {
    expect(loadCaptureConfig({}).openvidu).toEqual({
      OPENVIDU_JOIN_TIMEOUT_MS: 8000,
      OPENVIDU_PUBLISH_TIMEOUT_MS: 120_000,
      OPENVIDU_REQUEST_TIMEOUT_MS: 5000,
      OPENVIDU_INSECURE_TLS: false,
    });
    expect(loadCaptureConfig({ OPENVIDU_INSECURE_TLS: 'true' }).openvidu.OPENVIDU_INSECURE_TLS).toBe(true);
    expect(() => loadCaptureConfig({ JPEG_QUALITY: '80', OPENVIDU_JOIN_TIMEOUT_MS: '1' })).toThrow(
      /JPEG_QUALITY[\s\S]*OPENVIDU_JOIN_TIMEOUT_MS/,
    );
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

  it('refuses private hosts and files by default, and validates the stream policy settings', () => {
    expect(loadCaptureConfig({})).toMatchObject({
      STREAM_ALLOWED_SCHEMES: ['rtsp', 'rtsps', 'http', 'https'],
      STREAM_ALLOW_PRIVATE: false,
      STREAM_ALLOWED_HOSTS: [],
      STREAM_FILE_ROOTS: [],
      STREAM_MAX_DURATION_S: 0,
    });
    const cfg = loadCaptureConfig({
      STREAM_ALLOWED_SCHEMES: 'rtsp, file',
      STREAM_ALLOWED_HOSTS: 'cam1.lan,192.168.1.0/24,fd00::/8',
      STREAM_FILE_ROOTS: '/data/uploads,relative/dir',
      STREAM_FORMATS: 'mov,hls',
    });
    expect(cfg.STREAM_ALLOWED_SCHEMES).toEqual(['rtsp', 'file']);
    expect(cfg.STREAM_ALLOWED_HOSTS).toEqual(['cam1.lan', '192.168.1.0/24', 'fd00::/8']);
    expect(cfg.STREAM_FILE_ROOTS).toEqual(['/data/uploads', resolve('relative/dir')]);
    expect(cfg.STREAM_FORMATS).toEqual(['mov', 'hls']);
    expect(() => loadCaptureConfig({ STREAM_ALLOWED_SCHEMES: 'rtsp,gopher' })).toThrow(/STREAM_ALLOWED_SCHEMES/);
    expect(() => loadCaptureConfig({ STREAM_ALLOWED_SCHEMES: ' , ' })).toThrow(/STREAM_ALLOWED_SCHEMES/);
    expect(() => loadCaptureConfig({ STREAM_ALLOWED_HOSTS: '10.0.0.0/33' })).toThrow(/STREAM_ALLOWED_HOSTS/);
    expect(() => loadCaptureConfig({ STREAM_ALLOWED_HOSTS: 'http://cam' })).toThrow(/STREAM_ALLOWED_HOSTS/);
    expect(() => loadCaptureConfig({ STREAM_FORMATS: 'mov;hls' })).toThrow(/STREAM_FORMATS/);
    expect(() => loadCaptureConfig({ STREAM_MAX_DURATION_S: '-1' })).toThrow(/STREAM_MAX_DURATION_S/);
  });
});
