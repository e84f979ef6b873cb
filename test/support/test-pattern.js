// ffmpeg's moving test pattern (testsrc2) as a video file: the camera and stream tests and the bench's
// IP-camera rows all serve one, and need only its size, rate, length and encoder options to differ. Plain
// CommonJS (typed by test-pattern.d.ts) so that the .mjs bench can load it.
const { execFileSync } = require('node:child_process');

/** Writes `out` (`size` WxH, `fps`, `seconds` long) encoded with `output` (H.264 by default); returns `out`. */
function testPattern(out, { size = '320x240', fps = 10, seconds, output = ['-c:v', 'libx264'] }) {
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=${fps}:duration=${seconds}`,
    ...output,
    '-pix_fmt',
    'yuv420p',
    out,
  ]);
  return out;
}

module.exports = { testPattern };
