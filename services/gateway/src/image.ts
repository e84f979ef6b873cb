import sharp from 'sharp';
import type { Box } from '@glimpse/contracts';
import { GlimpseError } from '@glimpse/platform';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff';
export type BusImageType = 'image/jpeg' | 'image/png';

export interface Size {
  width: number;
  height: number;
}

export interface ImageInfo extends Size {
  format: ImageFormat;
  /** EXIF orientation, 1 when absent. */
  orientation: number;
}

/** What goes on the bus, and how to map boxes back to the picture the client sent. */
export interface PreparedImage {
  bytes: Buffer;
  contentType: BusImageType;
  /** The client's picture after EXIF orientation: the coordinate system of returned boxes. */
  original: Size;
  /** The picture the recognizer sees. */
  sent: Size;
}

export interface ImageLimits {
  maxPixels: number;
  /** Largest body the bus can carry. */
  maxBytes: number;
}

const JPEG_QUALITY = 90;

/** Decides the format from magic bytes, never from the client's Content-Type. */
export function sniffImage(buf: Uint8Array): ImageFormat | null {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  if (b.length >= 6 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) return 'gif';
  if (b.length >= 4 && (b.toString('latin1', 0, 4) === 'II*\0' || b.toString('latin1', 0, 4) === 'MM\0*'))
    return 'tiff';
  return null;
}
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Cheap truncation check without decoding: a JPEG needs an end-of-image marker after its first
 * top-level scan (markers inside the scan are byte-stuffed, so the search cannot hit scan data);
 * a PNG needs its IEND chunk. Trailing data after the image (motion photos) is fine.
 */
export function looksComplete(buf: Buffer, format: ImageFormat): boolean {
  if (format === 'png') return buf.indexOf('IEND', 8, 'latin1') > 0;
  if (format !== 'jpeg') return true;
  const sos = jpegFirstScan(buf);
  return sos > 0 && buf.indexOf(JPEG_EOI, sos) > 0;
}
const JPEG_EOI = Buffer.from([0xff, 0xd9]);

/** Offset of the first top-level start-of-scan marker, walking segment lengths (skips EXIF thumbnails). */
function jpegFirstScan(buf: Buffer): number {
  let i = 2;
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) return -1;
    const marker = buf[i + 1];
    if (marker === 0xff) {
      i++;
    } else if (marker === 0xda) {
      return i;
    } else if ((marker >= 0xd0 && marker <= 0xd8) || marker === 0x01) {
      i += 2;
    } else {
      i += 2 + buf.readUInt16BE(i + 2);
    }
  }
  return -1;
}

/**
 * An image may decode to at most this many times its encoded size, once it decodes to more than
 * DECODE_RATIO_FLOOR_BYTES: photos compress 5-30x, while a 309 KB 16-bit 6300x6300 PNG (79 MB of samples)
 * cost the worker 10-15 s. The worker applies the same rule (GLIMPSE_WORKER_MAX_DECODE_RATIO).
 */
export const MAX_DECODE_RATIO = 100;
export const DECODE_RATIO_FLOOR_BYTES = 24 * 1024 * 1024;

const BYTES_PER_SAMPLE: Record<string, number> = {
  uchar: 1,
  char: 1,
  ushort: 2,
  short: 2,
  uint: 4,
  int: 4,
  float: 4,
  double: 8,
};

/** 413 for an image whose decoded samples are out of proportion to its bytes (read from the header). */
export function checkDecodeWork(
  encoded: number,
  width: number,
  height: number,
  channels: number,
  depth: string | undefined,
  format: string,
): void {
  const samples = width * height * channels * (BYTES_PER_SAMPLE[depth ?? 'uchar'] ?? 1);
  if (samples <= DECODE_RATIO_FLOOR_BYTES || samples <= encoded * MAX_DECODE_RATIO) return;
  throw new GlimpseError(
    'IMAGE_TOO_LARGE',
    `image of ${width}x${height} pixels decodes to ${Math.round(samples / 2 ** 20)} MiB from ${Math.round(encoded / 1024)} KiB, ` +
      `${Math.round(samples / encoded)} times its size (at most ${MAX_DECODE_RATIO}): send a photo as JPEG or 8-bit PNG, not a ${depth === 'ushort' ? '16-bit ' : ''}${format.toUpperCase()} like this`,
  );
}

/** Validates an uploaded image from its header only (no decode): format, integrity, pixel count, decode work. */
export async function inspectImage(buf: Buffer, maxPixels: number): Promise<ImageInfo> {
  if (buf.length === 0) throw new GlimpseError('INVALID_IMAGE', 'empty body: send a JPEG or PNG image');
  const format = sniffImage(buf);
  if (!format)
    throw new GlimpseError('INVALID_IMAGE', `not an image: ${describeNonImage(buf)}; send a JPEG or PNG image`);
  const meta = await sharp(buf, { limitInputPixels: false })
    .metadata()
    .catch(() => {
      throw new GlimpseError('INVALID_IMAGE', `corrupt ${format.toUpperCase()} data: cannot read the image header`);
    });
  const { width, height } = meta.autoOrient ?? meta;
  if (!width || !height) throw new GlimpseError('INVALID_IMAGE', `corrupt ${format.toUpperCase()} data: no image size`);
  if (width * height > maxPixels) {
    throw new GlimpseError(
      'IMAGE_TOO_LARGE',
      `image of ${width}x${height} pixels exceeds the limit of ${maxPixels.toLocaleString('en')} pixels (MAX_IMAGE_PIXELS)`,
    );
  }
  checkDecodeWork(buf.length, width, height, meta.channels ?? 3, meta.depth, format);
  if (!looksComplete(buf, format)) {
    throw new GlimpseError('INVALID_IMAGE', `corrupt or truncated ${format.toUpperCase()} data`);
  }
  return { format, width, height, orientation: meta.orientation ?? 1 };
}

/**
 * Turns an upload into something the recognizer accepts: JPEG or PNG, upright (EXIF orientation
 * applied, since detectors ignore EXIF), and small enough for one NATS message.
 */
export async function prepareImage(buf: Buffer, limits: ImageLimits): Promise<PreparedImage> {
  const info = await inspectImage(buf, limits.maxPixels);
  const original = { width: info.width, height: info.height };
  const passThrough = (info.format === 'jpeg' || info.format === 'png') && info.orientation === 1;
  if (passThrough && buf.length <= limits.maxBytes) {
    return { bytes: buf, contentType: `image/${info.format}` as BusImageType, original, sent: original };
  }
  let sent = original;
  let bytes = await reencode(buf, info, sent);
  for (let attempt = 0; bytes.length > limits.maxBytes && attempt < 6; attempt++) {
    sent = shrink(sent, Math.min(0.9, 0.95 * Math.sqrt(limits.maxBytes / bytes.length)));
    bytes = await reencode(buf, info, sent);
  }
  if (bytes.length > limits.maxBytes) {
    throw new GlimpseError('IMAGE_TOO_LARGE', `image cannot be made smaller than ${limits.maxBytes} bytes`);
  }
  return { bytes, contentType: 'image/jpeg', original, sent };
}

async function reencode(buf: Buffer, info: ImageInfo, size: Size): Promise<Buffer> {
  try {
    let img = sharp(buf, { limitInputPixels: false, animated: false }).rotate().flatten({ background: '#ffffff' });
    if (size.width !== info.width || size.height !== info.height)
      img = img.resize(size.width, size.height, { fit: 'fill' });
    return await img.jpeg({ quality: JPEG_QUALITY }).toBuffer();
  } catch {
    throw new GlimpseError('INVALID_IMAGE', `corrupt ${info.format.toUpperCase()} data: the image cannot be decoded`);
  }
}

export function shrink(size: Size, factor: number): Size {
  return {
    width: Math.max(1, Math.floor(size.width * factor)),
    height: Math.max(1, Math.floor(size.height * factor)),
  };
}

/** Maps a box found in the picture that was sent back onto the client's picture. */
export function scaleBox(box: Box, from: Size, to: Size): Box {
  if (from.width === to.width && from.height === to.height) return box;
  const sx = to.width / from.width;
  const sy = to.height / from.height;
  const x = Math.min(to.width - 1, Math.max(0, Math.round(box.x * sx)));
  const y = Math.min(to.height - 1, Math.max(0, Math.round(box.y * sy)));
  return {
    x,
    y,
    width: Math.max(1, Math.min(to.width - x, Math.round(box.width * sx))),
    height: Math.max(1, Math.min(to.height - y, Math.round(box.height * sy))),
  };
}

/** A hint for the error message, so "not an image" says what it looked like instead. */
function describeNonImage(buf: Buffer): string {
  const head = buf.subarray(0, 512);
  if (head.toString('latin1', 0, 5) === '%PDF-') return 'the data is a PDF document';
  if (head.toString('latin1', 4, 8) === 'ftyp') return 'the data looks like a video or HEIC/AVIF file';
  if (/^\s*[[{]/.test(head.toString('utf8'))) return 'the data looks like JSON';
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x08\x0e-\x1f]/.test(head.toString('latin1'))) return 'the data looks like text';
  return 'unrecognized format';
}
