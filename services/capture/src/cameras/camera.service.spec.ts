import { loadCaptureConfig } from '../config';
import type { FrameSourceFactory } from '../frame-source';
import type { CameraStore } from './camera.store';
import { CameraService } from './camera.service';

/** Every DNS lookup CameraService makes, through the default resolver (node:dns/promises). */
const lookups: string[] = [];
jest.mock('node:dns/promises', () => ({
  lookup: jest.fn(async (host: string) => {
    lookups.push(host);
    return [{ address: host === 'lan-cam.example' ? '192.168.1.20' : '93.184.216.34', family: 4 }];
  }),
}));

const service = () => new CameraService({} as CameraStore, loadCaptureConfig({}), {} as FrameSourceFactory);

describe('CameraService.check', () => {
  beforeEach(() => (lookups.length = 0));

  it('refuses an unsupported scheme or a malformed host without any DNS lookup', async () => {
    const cams = service();
    for (const url of [
      'ftp://cam.example.com/x',
      'gopher://cam.example.com:70/x',
      'rtsp://bad_host!.example/x',
      'rtsp://cam.0x7f/x',
    ]) {
      const reply = await cams.check(url);
      expect(reply).toMatchObject({ allowed: false, private: false });
      expect(reply.reason).toMatch(/stream source refused/);
    }
    expect(lookups).toEqual([]);
  });

  it('still resolves the host of a URL whose shape is fine, and never echoes its password', async () => {
    const cams = service();
    await expect(cams.check('rtsp://cam.example.com/live')).resolves.toMatchObject({
      host: 'cam.example.com',
      private: false,
      allowed: true,
      reason: null,
    });
    const lan = await cams.check('rtsp://admin:Pw-42@lan-cam.example/live?password=Pw-43');
    expect(lan).toMatchObject({ private: true, allowed: false });
    expect(JSON.stringify(lan)).not.toMatch(/Pw-4[23]/);
    expect(lookups).toContain('cam.example.com');
    expect(await cams.check('ftp://192.168.1.20/x')).toMatchObject({
      host: '192.168.1.20',
      private: true,
      allowed: false,
    });
  });
});
