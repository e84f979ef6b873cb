import type { Box, Size } from './types';

export type ObjectFit = 'contain' | 'cover' | 'fill' | 'none' | 'scale-down';

/** Where an element draws its media, in the element's CSS pixels (may overflow it with `cover`). */
export interface ContentRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `object-position` as fractions: 0.5/0.5 is the default `50% 50%`. */
export interface Position {
  x: number;
  y: number;
}

const CENTER: Position = { x: 0.5, y: 0.5 };

/**
 * The rectangle in which a `<video>` or `<img>` of intrinsic size `media` is painted inside a box of
 * size `element`, following CSS `object-fit` and `object-position`.
 */
export function contentRect(
  media: Size,
  element: Size,
  fit: ObjectFit = 'contain',
  position: Position = CENTER,
): ContentRect {
  if (!(media.width > 0 && media.height > 0) || !(element.width > 0 && element.height > 0)) {
    return { x: 0, y: 0, width: element.width, height: element.height };
  }
  let width: number;
  let height: number;
  if (fit === 'fill') {
    width = element.width;
    height = element.height;
  } else {
    const contain = Math.min(element.width / media.width, element.height / media.height);
    const cover = Math.max(element.width / media.width, element.height / media.height);
    let scale: number;
    if (fit === 'contain') scale = contain;
    else if (fit === 'cover') scale = cover;
    else if (fit === 'none') scale = 1;
    else scale = Math.min(1, contain); // scale-down: the smaller of none and contain
    width = media.width * scale;
    height = media.height * scale;
  }
  return {
    x: (element.width - width) * position.x,
    y: (element.height - height) * position.y,
    width,
    height,
  };
}

/** Reads the fit from computed style text, defaulting to the `<video>` default `contain`. */
export function parseObjectFit(value: string | null | undefined): ObjectFit {
  const v = (value ?? '').trim();
  return v === 'cover' || v === 'fill' || v === 'none' || v === 'scale-down' || v === 'contain' ? v : 'contain';
}

/**
 * Maps a face box given in frame pixels (the snapshot the server analysed, `frame.width` ×
 * `frame.height`) onto the displayed media. The frame may be a resized copy of the video, so each
 * axis is scaled on its own. `mirrored` flips horizontally, for a selfie-style preview.
 */
export function mapBox(box: Box, frame: Size, content: ContentRect, mirrored = false): Box {
  const sx = content.width / frame.width;
  const sy = content.height / frame.height;
  const width = box.width * sx;
  const height = box.height * sy;
  const left = mirrored ? frame.width - box.x - box.width : box.x;
  return { x: content.x + left * sx, y: content.y + box.y * sy, width, height };
}

/** A box as CSS percentages of the image it lies on (for boxes over a responsive `<img>`). */
export function boxPercent(box: Box, natural: Size): { left: string; top: string; width: string; height: string } {
  const pct = (v: number, of: number) => `${((v / of) * 100).toFixed(3)}%`;
  return {
    left: pct(box.x, natural.width),
    top: pct(box.y, natural.height),
    width: pct(box.width, natural.width),
    height: pct(box.height, natural.height),
  };
}

/** A square crop around a face with some margin, clamped to the image, for local thumbnails. */
export function cropSquare(box: Box, image: Size, margin = 0.2): Box {
  const side = Math.min(Math.max(box.width, box.height) * (1 + 2 * margin), image.width, image.height);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const x = Math.min(Math.max(0, cx - side / 2), image.width - side);
  const y = Math.min(Math.max(0, cy - side / 2), image.height - side);
  return { x, y, width: side, height: side };
}
