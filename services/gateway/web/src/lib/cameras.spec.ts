import { cameraBody, hostOf, looksLocal, stateText } from './cameras';

describe('cameras page logic', () => {
  it('finds the host of camera URLs', () => {
    expect(hostOf('rtsp://u:***@192.168.1.20:554/s')).toBe('192.168.1.20');
    expect(hostOf('rtsp://[fd00::5]/s')).toBe('fd00::5');
    expect(hostOf('/videos/a.mp4')).toBeNull();
  });

  it('tells LAN hosts (which need STREAM_ALLOWED_HOSTS) from public ones', () => {
    for (const h of ['192.168.1.20', '10.0.0.7', '172.20.1.1', '127.0.0.1', 'cam1.lan', 'doorcam', 'fd00::5', 'nvr.local']) expect(looksLocal(h)).toBe(true);
    for (const h of ['8.8.8.8', '172.32.0.1', 'cam.example.com', '2001:db8::1']) expect(looksLocal(h)).toBe(false);
  });

  it('builds the POST body or says what is missing', () => {
    expect(cameraBody({ name: ' Door ', url: ' rtsp://h/s ', fps: '', transport: 'tcp' })).toEqual({ body: { name: 'Door', url: 'rtsp://h/s', transport: 'tcp' } });
    expect(cameraBody({ name: 'Door', url: 'rtsp://h/s', fps: '4', transport: 'udp' })).toEqual({ body: { name: 'Door', url: 'rtsp://h/s', transport: 'udp', fps: 4 } });
    expect(cameraBody({ name: '', url: 'rtsp://h/s', fps: '', transport: 'tcp' })).toHaveProperty('error');
    expect(cameraBody({ name: 'x', url: 'rtsp://h/s', fps: '99', transport: 'tcp' })).toHaveProperty('error');
  });

  it('labels every state', () => {
    expect(stateText('reconnecting').label).toBe('Reconnecting');
    expect(stateText('paused').label).toBe('Paused');
  });
});
