import { crc32 } from 'node:zlib';

/** How the PNG header (IHDR) describes the samples: e.g. 8-bit RGB is { bitDepth: 8, colorType: 2 }. */
export interface PngHeader {
  bitDepth: number;
  colorType: number;
}

/** One PNG chunk: length, type, data, CRC over type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A PNG written by hand from its header and already-deflated image data, so that a test can make the
 * header claim any size (a decompression bomb) or pack a huge image into a few hundred KB.
 */
export function pngFile(width: number, height: number, header: PngHeader, idat: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([header.bitDepth, header.colorType, 0, 0, 0], 8); // then compression, filter, interlace: 0
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}
