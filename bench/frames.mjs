// The frames every row of the bench uses, written once per run so that the baseline and Glimpse see the very
// same bytes: camera-like frames (fixture photos on a grey 640x480 or 1280x720 frame, one face of ~300 px or
// four) and one video per stream, made with ffmpeg's zoompan from a fixture photo: a face that drifts and
// leans in and out, 10 frames per second for 12 s, played back and forth.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

export const KINDS = [
  { name: '640x480, 1 face', w: 640, h: 480, faces: 1 },
  { name: '640x480, 4 faces', w: 640, h: 480, faces: 4 },
  { name: '1280x720, 1 face', w: 1280, h: 720, faces: 1 },
  { name: '1280x720, 4 faces', w: 1280, h: 720, faces: 4 },
];
export const VIDEO_FPS = 10;
const VIDEO_SECONDS = 12;
const PER_KIND = 8;

function people(fixtures) {
  return readdirSync(fixtures, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** The video of one stream: `{ path, jpeg }` per frame, VIDEO_FPS per second. */
function video(photo, dir) {
  mkdirSync(dir, { recursive: true });
  const wobble = (axis, amp, period) =>
    `max(0,min(${axis === 'x' ? 'iw-iw/zoom' : 'ih-ih/zoom'},(${axis === 'x' ? 'iw-iw/zoom' : 'ih-ih/zoom'})/2+${amp}*sin(on/${period})))`;
  const vf = `scale=300:300,pad=640:480:(ow-iw)/2:(oh-ih)/2:color=gray,zoompan=z='1.25+0.2*sin(on/17)':x='${wobble('x', 70, 23)}':y='${wobble('y', 35, 29)}':d=1:s=640x480:fps=${VIDEO_FPS}`;
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-loop',
    '1',
    '-framerate',
    String(VIDEO_FPS),
    '-t',
    String(VIDEO_SECONDS),
    '-i',
    photo,
    '-vf',
    vf,
    '-q:v',
    '3',
    join(dir, '%04d.jpg'),
  ]);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => ({ path: join(dir, f), jpeg: readFileSync(join(dir, f)) }));
}

/** The frame a camera shows `t` seconds into the stream (the clip played forwards, then backwards). */
export function videoFrameAt(clip, t) {
  const i = Math.floor(t * VIDEO_FPS) % (2 * clip.length - 2);
  return clip[i < clip.length ? i : 2 * clip.length - 2 - i];
}

/**
 * `{ [kind]: [{path, jpeg}] }` for the still kinds, and `videos`: one clip per stream (`streams` of them, each
 * a different person).
 */
export async function makeFrames(dir, fixtures, streams = 8) {
  const sharp = require('sharp');
  const names = people(fixtures);
  const photo = (i) =>
    join(fixtures, names[i % names.length], readdirSync(join(fixtures, names[i % names.length])).sort()[0]);
  const out = {};
  for (const k of KINDS) {
    out[k.name] = [];
    for (let f = 0; f < PER_KIND; f++) {
      const side = k.faces === 1 ? 300 : k.w === 640 ? 220 : 300;
      const cols = k.faces === 1 ? 1 : k.w === 640 ? 2 : 4;
      const rows = Math.ceil(k.faces / cols);
      const composite = [];
      for (let i = 0; i < k.faces; i++) {
        const left = Math.round((k.w - cols * side) / 2) + (i % cols) * side;
        const top = Math.round((k.h - rows * side) / 2) + Math.floor(i / cols) * side;
        composite.push({
          input: await sharp(photo(f * 4 + i))
            .resize(side, side)
            .toBuffer(),
          left,
          top,
        });
      }
      const jpeg = await sharp({ create: { width: k.w, height: k.h, channels: 3, background: '#777' } })
        .composite(composite)
        .jpeg({ quality: 90 })
        .toBuffer();
      const path = join(dir, `${k.w}x${k.h}-${k.faces}-${f}.jpg`);
      writeFileSync(path, jpeg);
      out[k.name].push({ path, jpeg });
    }
  }
  out.videos = Array.from({ length: streams }, (_, s) => video(photo(s * 5 + 1), join(dir, `video-${s}`)));
  return out;
}
