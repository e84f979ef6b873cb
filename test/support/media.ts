import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

/** A grid of photos (each resized to `cell` px) as one JPEG: a group photo with a known face count. */
export async function collage(paths: string[], cell = 250): Promise<Buffer> {
  const cols = Math.ceil(Math.sqrt(paths.length));
  const rows = Math.ceil(paths.length / cols);
  const tiles = await Promise.all(paths.map((p) => sharp(p).resize(cell, cell).toBuffer()));
  return sharp({ create: { width: cols * cell, height: rows * cell, channels: 3, background: '#808080' } })
    .composite(tiles.map((input, i) => ({ input, left: (i % cols) * cell, top: Math.floor(i / cols) * cell })))
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A plain image without a face. */
export function blank(width = 640, height = 480, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#d0d0d0' } })
    [format]()
    .toBuffer();
}

export interface SlideshowOptions {
  /** Each photo is scaled to fit a square of this side (px), then centred on the 640x480 frame. */
  side?: number;
  fps?: number;
  /** The frame around the photo (ffmpeg's default: black). */
  padColor?: string;
  /** ffmpeg's output options before the file name: the codec, its GOP, the container. */
  output?: string[];
}

/**
 * A 640x480 video showing each photo for `seconds`, in order (ffmpeg), e.g. A, B, A: an H.264 mp4 by
 * default, or what `output` says (`['-f', 'yuv4mpegpipe']` for Chromium's fake camera). Returns `out`.
 */
export function slideshow(
  paths: string[],
  seconds = 3,
  out = join(mkdtempSync(join(tmpdir(), 'glimpse-video-')), 'slides.mp4'),
  { side = 480, fps = 10, padColor, output = ['-c:v', 'libx264'] }: SlideshowOptions = {},
): string {
  const inputs = paths.flatMap((p) => ['-loop', '1', '-t', String(seconds), '-i', p]);
  const pad = `pad=640:480:(ow-iw)/2:(oh-ih)/2${padColor ? `:color=${padColor}` : ''}`;
  const scale = paths
    .map(
      (_, i) =>
        `[${i}]scale=${side}:${side}:force_original_aspect_ratio=decrease,${pad},setsar=1,fps=${fps},format=yuv420p[v${i}]`,
    )
    .join(';');
  const concat = `${paths.map((_, i) => `[v${i}]`).join('')}concat=n=${paths.length}:v=1:a=0[out]`;
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    ...inputs,
    '-filter_complex',
    `${scale};${concat}`,
    '-map',
    '[out]',
    ...output,
    '-pix_fmt',
    'yuv420p',
    out,
  ]);
  return out;
}
