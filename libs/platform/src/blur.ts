import type sharpModule from 'sharp';
import type { OverlayOptions } from 'sharp';

/** A rectangle in an image's pixels (a face box, in the coordinates of the image it is applied to). */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface BlurOptions {
  /** Drawn over the result, after blurring (e.g. an SVG of boxes and names), each at the top-left corner. */
  overlays?: Buffer[];
  /** JPEG quality of the result (1–100). */
  quality?: number;
}

/** Regions, or how to find them once the image's size is known (boxes of a larger frame mapped into a crop). */
export type RegionsOf = readonly Region[] | ((width: number, height: number) => readonly Region[]);

/** How far the blurred area reaches beyond a face box on each side, as a share of its size: hair, ears, chin. */
export const BLUR_PAD = 0.2;
/**
 * A blurred area is averaged down to at most this many pixels across, then stretched back smoothly: what is
 * left is a few colour blobs, in which face_recognition finds no face, let alone the person (docs/privacy.md).
 */
export const BLUR_CELLS = 6;

type Sharp = typeof sharpModule;
let sharpLib: Sharp | undefined;
// sharp is native and large: loaded on the first blur, so services that never blur never load it
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadSharp = (): Sharp => (sharpLib ??= require('sharp') as Sharp);

/** `r` grown by BLUR_PAD and clipped to a width × height image; null when nothing of it is inside. */
export function blurArea(
  r: Region,
  width: number,
  height: number,
): { left: number; top: number; width: number; height: number } | null {
  const px = r.width * BLUR_PAD;
  const py = r.height * BLUR_PAD;
  const left = Math.max(0, Math.floor(r.x - px));
  const top = Math.max(0, Math.floor(r.y - py));
  const right = Math.min(width, Math.ceil(r.x + r.width + px));
  const bottom = Math.min(height, Math.ceil(r.y + r.height + py));
  return right - left >= 1 && bottom - top >= 1 ? { left, top, width: right - left, height: bottom - top } : null;
}

/**
 * Makes the faces in `regions` unrecognizable (averaged over BLUR_CELLS cells across, then spread back
 * smoothly) and returns a JPEG: one decode, the blur in place on the raw pixels, one encode. With no region
 * and no overlay the image is returned as it came.
 */
export async function blurRegions(image: Buffer, regions: RegionsOf, opts: BlurOptions = {}): Promise<Buffer> {
  const overlays = opts.overlays ?? [];
  if (Array.isArray(regions) && regions.length === 0 && overlays.length === 0) return image;
  const sharp = loadSharp();
  const { data, info } = await sharp(image).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const wanted = typeof regions === 'function' ? regions(info.width, info.height) : regions;
  for (const r of wanted) {
    const a = blurArea(r, info.width, info.height);
    if (a) smear(data, info.width, info.channels, a);
  }
  const out = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  if (overlays.length) out.composite(overlays.map((input): OverlayOptions => ({ input, left: 0, top: 0 })));
  return out.jpeg({ quality: opts.quality ?? 85 }).toBuffer();
}

type Area = NonNullable<ReturnType<typeof blurArea>>;

/** In place: `a` averaged over at most BLUR_CELLS cells across, spread back bilinearly between cell centres. */
function smear(data: Buffer, width: number, channels: number, a: Area): void {
  const side = Math.max(a.width, a.height);
  const cols = Math.max(1, Math.round((a.width / side) * BLUR_CELLS));
  const rows = Math.max(1, Math.round((a.height / side) * BLUR_CELLS));
  const mean = new Float64Array(cols * rows * channels);
  const count = new Float64Array(cols * rows);
  for (let y = 0; y < a.height; y++) {
    const row = Math.min(rows - 1, Math.floor((y * rows) / a.height));
    for (let x = 0; x < a.width; x++) {
      const cell = row * cols + Math.min(cols - 1, Math.floor((x * cols) / a.width));
      const p = ((a.top + y) * width + a.left + x) * channels;
      count[cell]++;
      for (let k = 0; k < channels; k++) mean[cell * channels + k] += data[p + k];
    }
  }
  for (let cell = 0; cell < count.length; cell++)
    for (let k = 0; k < channels; k++) mean[cell * channels + k] /= count[cell];
  const at = (cx: number, cy: number, k: number) => mean[(cy * cols + cx) * channels + k];
  for (let y = 0; y < a.height; y++) {
    const fy = Math.min(rows - 1, Math.max(0, ((y + 0.5) * rows) / a.height - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(rows - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < a.width; x++) {
      const fx = Math.min(cols - 1, Math.max(0, ((x + 0.5) * cols) / a.width - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(cols - 1, x0 + 1);
      const tx = fx - x0;
      const p = ((a.top + y) * width + a.left + x) * channels;
      for (let k = 0; k < channels; k++) {
        const top = at(x0, y0, k) * (1 - tx) + at(x1, y0, k) * tx;
        const bottom = at(x0, y1, k) * (1 - tx) + at(x1, y1, k) * tx;
        data[p + k] = Math.round(top * (1 - ty) + bottom * ty);
      }
    }
  }
}
