import {
  cameraBody,
  cameraPatch,
  editFormOf,
  feedRecognition,
  feedStatus,
  hostCheckText,
  hostOf,
  stateText,
  EMPTY_FEED,
} from './cameras';
import type { ApiCamera, RecognitionMessage } from './types';

describe('cameras page logic', () => {
  it('finds the host of camera URLs', () => {
    expect(hostOf('rtsp://u:***@192.168.1.20:554/s')).toBe('192.168.1.20');
    expect(hostOf('rtsp://[fd00::5]/s')).toBe('fd00::5');
    expect(hostOf('/videos/a.mp4')).toBeNull();
  });

  it('builds the POST body or says what is missing', () => {
    const form = { name: ' Door ', url: ' rtsp://h/s ', fps: '', transport: 'tcp', decode: 'all' } as const;
    expect(cameraBody(form)).toEqual({ body: { name: 'Door', url: 'rtsp://h/s', transport: 'tcp', decode: 'all' } });
    expect(cameraBody({ ...form, fps: '4', transport: 'udp', decode: 'keyframes' })).toEqual({
      body: { name: 'Door', url: 'rtsp://h/s', transport: 'udp', decode: 'keyframes', fps: 4 },
    });
    expect(cameraBody({ ...form, name: '' })).toHaveProperty('error');
    expect(cameraBody({ ...form, fps: '99' })).toHaveProperty('error');
  });

  it('labels every state', () => {
    expect(stateText('reconnecting').label).toBe('Reconnecting');
    expect(stateText('paused').label).toBe('Paused');
  });

  it("words the server's host check: silent for public hosts, explains LAN hosts allowed or not", () => {
    expect(hostCheckText({ host: '8.8.8.8', private: false, allowed: true, reason: null })).toBeNull();
    expect(hostCheckText({ host: '192.168.1.20', private: true, allowed: true, reason: null })).toMatchObject({
      allowed: true,
    });
    const refused = hostCheckText({
      host: '192.168.1.20',
      private: true,
      allowed: false,
      reason: 'stream source refused: …',
    });
    expect(refused?.allowed).toBe(false);
    expect(refused?.text).toContain('STREAM_ALLOWED_HOSTS=192.168.1.20');
    expect(
      hostCheckText({ host: 'h', private: false, allowed: false, reason: "the 'ftp:' scheme is not allowed" })?.text,
    ).toBe("the 'ftp:' scheme is not allowed");
  });

  it('measures snapshots/s between status messages and keeps the last result with faces', () => {
    let f = feedStatus(EMPTY_FEED, 10, 1000);
    expect(f.rate).toBeNull();
    f = feedStatus(f, 14, 3000);
    expect(f.rate).toBe(2);
    expect(feedStatus(f, 0, 5000).rate).toBeNull(); // the stream restarted
    const msg = (faces: RecognitionMessage['faces']): RecognitionMessage => ({
      type: 'recognition',
      streamId: 'cam_a',
      frame: { source: 'cam_a', seq: 3, capturedAt: '2026-01-01T00:00:00.000Z', width: 640, height: 360 },
      faces,
    });
    const face = {
      faceId: null,
      box: { x: 1, y: 1, width: 9, height: 9 },
      personId: 'p',
      personNumber: 7,
      personName: null,
      isNew: false,
      distance: 0.3,
      similarity: 80,
      cropUrl: null,
    };
    f = feedRecognition(f, msg([face, { ...face, personName: 'Ada' }]));
    expect(f.lastResult).toEqual({ capturedAt: '2026-01-01T00:00:00.000Z', names: ['Person #7', 'Ada'] });
    expect(feedRecognition(f, msg([])).lastResult?.names).toEqual(['Person #7', 'Ada']);
  });

  it('patches only what was edited, keeping the stored URL when the field is left blank', () => {
    const cam = {
      id: 'cam_a',
      name: 'Door',
      url: 'rtsp://u:***@h/s',
      fps: 2,
      transport: 'tcp',
      decode: 'all',
    } as ApiCamera;
    expect(cameraPatch(cam, editFormOf(cam))).toEqual({ patch: {} });
    expect(cameraPatch(cam, { ...editFormOf(cam), name: 'Back door', fps: '1', decode: 'keyframes' })).toEqual({
      patch: { name: 'Back door', fps: 1, decode: 'keyframes' },
    });
    expect(cameraPatch(cam, { ...editFormOf(cam), url: ' rtsp://u:new@h/s ' })).toEqual({
      patch: { url: 'rtsp://u:new@h/s' },
    });
    expect(cameraPatch(cam, { ...editFormOf(cam), name: ' ' })).toHaveProperty('error');
    expect(cameraPatch(cam, { ...editFormOf(cam), fps: '0' })).toHaveProperty('error');
  });
});
