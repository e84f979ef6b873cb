import { ffmpegArgs, StderrTail } from './ffmpeg.source';
import type { SourceSpec } from './frame-source';

const opts = { fps: 2, maxWidth: 1280 };
const limits = { networkTimeoutMs: 10_000, formats: ['mov', 'mp4', 'mpegts'] };
const GUARDS = '-hide_banner -nostdin -loglevel error -max_alloc 536870912';

describe('ffmpegArgs', () => {
  it('plays a file in real time, reading nothing but files with the allowed demuxers, and writes MJPEG to stdout', () => {
    const args = ffmpegArgs({ kind: 'file', path: '/v/a:b.mp4', loop: false }, opts, limits);
    expect(args.join(' ')).toBe(
      `${GUARDS} -protocol_whitelist file -format_whitelist mov,mp4,mpegts -probesize 5000000 -analyzeduration 5000000 ` +
        "-re -i file:/v/a:b.mp4 -an -sn -dn -vf fps=2,scale='min(iw,1280)':-2 -f image2pipe -c:v mjpeg -q:v 3 pipe:1",
    );
  });

  it('loops a file forever on request', () => {
    const args = ffmpegArgs({ kind: 'file', path: '/v/a.mp4', loop: true }, { fps: 0.5, maxWidth: 640 }, limits);
    expect(args.slice(14, 19)).toEqual(['-re', '-stream_loop', '-1', '-i', 'file:/v/a.mp4']);
    expect(args).toContain("fps=0.5,scale='min(iw,640)':-2");
  });

  it('uses TCP, an I/O timeout in microseconds, only network protocols and no redirects for network sources', () => {
    const rtsp = ffmpegArgs({ kind: 'network', url: 'rtsp://cam/x', protocol: 'rtsp', secrets: [] }, opts, {
      ...limits,
      networkTimeoutMs: 5_000,
    });
    expect(rtsp.slice(6, 8)).toEqual(['-protocol_whitelist', 'rtsp,rtsps,tcp,tls']);
    expect(rtsp.slice(14, 24)).toEqual([
      '-fflags',
      'nobuffer',
      '-flags',
      'low_delay',
      '-rtsp_transport',
      'tcp',
      '-timeout',
      '5000000',
      '-i',
      'rtsp://cam/x',
    ]);
    const udp = ffmpegArgs(
      { kind: 'network', url: 'rtsp://cam/x', protocol: 'rtsp', secrets: [], transport: 'udp' },
      opts,
      limits,
    );
    expect(udp.slice(udp.indexOf('-protocol_whitelist'), udp.indexOf('-protocol_whitelist') + 2)).toEqual([
      '-protocol_whitelist',
      'rtsp,rtsps,tcp,tls,udp,rtp',
    ]);
    expect(udp[udp.indexOf('-rtsp_transport') + 1]).toBe('udp');
    const http = ffmpegArgs({ kind: 'network', url: 'https://h/x', protocol: 'https', secrets: [] }, opts, {
      ...limits,
      networkTimeoutMs: 5_000,
    });
    expect(http.slice(6, 8)).toEqual(['-protocol_whitelist', 'http,https,tcp,tls']);
    expect(http.slice(14, 20)).toEqual(['-rw_timeout', '5000000', '-max_redirects', '0', '-i', 'https://h/x']);
    expect(http).not.toContain('nobuffer');
    expect(http).not.toContain('-re');
    expect(http.join(' ')).not.toMatch(/file/);
  });

  it('decodes key frames only on request, picking at most fps of them without repeating any', () => {
    const spec: SourceSpec = { kind: 'network', url: 'rtsp://cam/x', protocol: 'rtsp', secrets: [] };
    const all = ffmpegArgs(spec, opts, limits);
    expect(all).not.toContain('-skip_frame');
    expect(all[all.indexOf('-vf') + 1]).toBe("fps=2,scale='min(iw,1280)':-2");
    const keys = ffmpegArgs(spec, { ...opts, keyframesOnly: true }, limits);
    // a decoder option: it must come before -i to apply to the input
    expect(keys.indexOf('-skip_frame')).toBeLessThan(keys.indexOf('-i'));
    expect(keys[keys.indexOf('-skip_frame') + 1]).toBe('nokey');
    expect(keys[keys.indexOf('-vf') + 1]).toBe(
      "select='isnan(prev_selected_t)+gte(t-prev_selected_t,0.45)',scale='min(iw,1280)':-2",
    );
    expect(keys[keys.indexOf('-fps_mode') + 1]).toBe('passthrough');
    // a file is played in real time by -re: every frame is decoded whatever the setting
    const file = ffmpegArgs({ kind: 'file', path: '/v/a.mp4', loop: false }, { ...opts, keyframesOnly: true }, limits);
    expect(file).not.toContain('-skip_frame');
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
