import { ffmpegArgs, StderrTail } from './ffmpeg.source';

const opts = { fps: 2, maxWidth: 1280 };

describe('ffmpegArgs', () => {
  it('plays a file in real time and writes MJPEG snapshots to stdout', () => {
    const args = ffmpegArgs({ kind: 'file', path: '/v/a:b.mp4', loop: false }, opts, 10_000);
    expect(args.join(' ')).toBe(
      "-hide_banner -nostdin -loglevel error -re -i file:/v/a:b.mp4 -an -sn -dn -vf fps=2,scale='min(iw,1280)':-2 " +
        '-f image2pipe -c:v mjpeg -q:v 3 pipe:1',
    );
  });

  it('loops a file forever on request', () => {
    const args = ffmpegArgs({ kind: 'file', path: '/v/a.mp4', loop: true }, { fps: 0.5, maxWidth: 640 }, 10_000);
    expect(args.slice(4, 9)).toEqual(['-re', '-stream_loop', '-1', '-i', 'file:/v/a.mp4']);
    expect(args).toContain("fps=0.5,scale='min(iw,640)':-2");
  });

  it('uses TCP and an I/O timeout in microseconds for network sources', () => {
    const rtsp = ffmpegArgs({ kind: 'network', url: 'rtsp://cam/x', protocol: 'rtsp', secrets: [] }, opts, 5_000);
    expect(rtsp.slice(4, 10)).toEqual(['-rtsp_transport', 'tcp', '-timeout', '5000000', '-i', 'rtsp://cam/x']);
    const http = ffmpegArgs({ kind: 'network', url: 'https://h/x', protocol: 'https', secrets: [] }, opts, 5_000);
    expect(http.slice(4, 8)).toEqual(['-rw_timeout', '5000000', '-i', 'https://h/x']);
    expect(http).not.toContain('-re');
  });
});

describe('StderrTail', () => {
  it('keeps the last lines, across chunk boundaries', () => {
    const t = new StderrTail();
    for (let i = 0; i < 20; i++) t.push(`line ${i}\n`);
    t.push('partial ');
    t.push('message');
    const lines = t.toString().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines[0]).toBe('line 12');
    expect(lines.at(-1)).toBe('partial message');
  });
});
