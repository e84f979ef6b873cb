import type { Box } from '@glimpse/contracts';
import { blurRegions, type Region } from '@glimpse/platform';

const overlaps = (a: Box, b: Box): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Frame boxes in the pixels of a crop that shows `cropBox` of the frame, scaled to width × height. */
export function intoCrop(boxes: readonly Box[], cropBox: Box, width: number, height: number): Region[] {
  const sx = width / cropBox.width;
  const sy = height / cropBox.height;
  return boxes.map((b) => ({
    x: (b.x - cropBox.x) * sx,
    y: (b.y - cropBox.y) * sy,
    width: b.width * sx,
    height: b.height * sy,
  }));
}

/**
 * The crop to store for a face under BLUR_UNKNOWN (docs/privacy.md): the frame's `bystanders` (faces that
 * are no enrolled, named person's, in frame pixels) blurred wherever the crop shows them, the face itself
 * included when it is one of them. A crop that shows no bystander is returned as it came.
 * Without `cropBox` (a recognizer older than it) a crop is blurred whole when its own face is a bystander.
 */
export function blurBystanders(
  crop: Buffer,
  own: Box,
  cropBox: Box | undefined,
  bystanders: readonly Box[],
): Promise<Buffer> {
  if (!cropBox) {
    const whole = bystanders.some((b) => sameBox(b, own));
    return blurRegions(crop, whole ? (width, height) => [{ x: 0, y: 0, width, height }] : []);
  }
  const shown = bystanders.filter((b) => overlaps(b, cropBox));
  if (shown.length === 0) return Promise.resolve(crop);
  return blurRegions(crop, (width, height) => intoCrop(shown, cropBox, width, height));
}

const sameBox = (a: Box, b: Box): boolean => a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
