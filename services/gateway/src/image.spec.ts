import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { GlimpseError } from '@glimpse/platform';
import { pngFile } from '@glimpse/testing';
import { inspectImage, looksComplete, prepareImage, scaleBox, sniffImage } from './image';

const solid = (width: number, height: number, format: 'jpeg' | 'png') =>
  sharp({ create: { width, height, channels: 3, background: '#7a9cc6' } })
    [format]()
    .toBuffer();

/** Random pixels compress badly, which makes a big JPEG from a modest image. */
const noisy = (width: number, height: number) => {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
};

const rejects = async (p: Promise<unknown>, code: string, message: RegExp) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GlimpseError);
  expect((err as GlimpseError).code).toBe(code);
  expect((err as GlimpseError).message).toMatch(message);
};

const LIMITS = { maxPixels: 40_000_000, maxBytes: 1024 * 1024 };

describe('sniffImage', () => {
  it('recognizes formats from magic bytes', async () => {
    expect(sniffImage(await solid(8, 8, 'jpeg'))).toBe('jpeg');
    expect(sniffImage(await solid(8, 8, 'png'))).toBe('png');
    expect(
      sniffImage(
        await sharp(await solid(8, 8, 'png'))
          .webp()
          .toBuffer(),
      ),
    ).toBe('webp');
    expect(sniffImage(Buffer.from('GIF89a....'))).toBe('gif');
  });

  it('refuses text, empty and truncated magic', () => {
    expect(sniffImage(Buffer.from('hello, I am not an image\n'))).toBeNull();
    expect(sniffImage(Buffer.alloc(0))).toBeNull();
    expect(sniffImage(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(sniffImage(Buffer.from([0x89, 0x50, 0x4e, 0x47]))).toBeNull();
  });
});

describe('inspectImage', () => {
  it('reads format and size from the header', async () => {
    await expect(inspectImage(await solid(320, 200, 'png'), 1e6)).resolves.toMatchObject({
      format: 'png',
      width: 320,
      height: 200,
      orientation: 1,
    });
  });

  it('says what is wrong with a non-image', async () => {
    await rejects(inspectImage(Buffer.alloc(0), 1e6), 'INVALID_IMAGE', /empty body/);
    await rejects(
      inspectImage(Buffer.from('hello, I am not an image\n'), 1e6),
      'INVALID_IMAGE',
      /not an image: the data looks like text/,
    );
    await rejects(inspectImage(Buffer.from('%PDF-1.7\n...'), 1e6), 'INVALID_IMAGE', /PDF/);
  });

  it('refuses too many pixels from the header alone', async () => {
    const big = await sharp({ create: { width: 10000, height: 10000, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    expect(big.length).toBeLessThan(1024 * 1024);
    await rejects(inspectImage(big, 40_000_000), 'IMAGE_TOO_LARGE', /10000x10000 pixels exceeds .*MAX_IMAGE_PIXELS/);
  }, 20_000);

  it('refuses corrupt and truncated data', async () => {
    const good = await noisy(200, 200);
    const corrupt = Buffer.concat([good.subarray(0, 200), Buffer.alloc(500, 7)]);
    await rejects(inspectImage(corrupt, 1e6), 'INVALID_IMAGE', /corrupt/);
    await rejects(inspectImage(good.subarray(0, good.length - 100), 1e6), 'INVALID_IMAGE', /truncated/);
    const png = await solid(50, 50, 'png');
    await rejects(inspectImage(png.subarray(0, png.length - 12), 1e6), 'INVALID_IMAGE', /truncated/);
    await rejects(
      inspectImage(Buffer.concat([png.subarray(0, 8), Buffer.alloc(40, 1)]), 1e6),
      'INVALID_IMAGE',
      /corrupt/,
    );
  });
});

describe('looksComplete', () => {
  it('accepts trailing data after the image (motion photos) and skips EXIF thumbnails', async () => {
    const jpeg = await solid(64, 64, 'jpeg');
    expect(looksComplete(Buffer.concat([jpeg, Buffer.from('trailer data')]), 'jpeg')).toBe(true);
    // An embedded JPEG inside an APP1 segment must not count as the main image's end.
    const thumb = await solid(8, 8, 'jpeg');
    const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), Buffer.alloc(2), thumb]);
    app1.writeUInt16BE(app1.length - 2, 2);
    const withThumb = Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
    expect(looksComplete(withThumb, 'jpeg')).toBe(true);
    expect(looksComplete(withThumb.subarray(0, withThumb.length - 2), 'jpeg')).toBe(false);
  });
});

describe('prepareImage', () => {
  it('passes a small upright JPEG or PNG through untouched', async () => {
    const jpeg = await solid(100, 80, 'jpeg');
    const out = await prepareImage(jpeg, LIMITS);
    expect(out.bytes).toBe(jpeg);
    expect(out.contentType).toBe('image/jpeg');
    expect(out.sent).toEqual({ width: 100, height: 80 });
    expect((await prepareImage(await solid(10, 10, 'png'), LIMITS)).contentType).toBe('image/png');
  });

  it('applies EXIF orientation, so boxes match what the client displays', async () => {
    const rotated = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#f00' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const out = await prepareImage(rotated, LIMITS);
    expect(out.original).toEqual({ width: 200, height: 300 });
    expect(out.sent).toEqual({ width: 200, height: 300 });
    const meta = await sharp(out.bytes).metadata();
    expect([meta.width, meta.height, meta.orientation ?? 1]).toEqual([200, 300, 1]);
  });

  it('converts WebP to JPEG', async () => {
    const webp = await sharp(await solid(40, 30, 'png'))
      .webp()
      .toBuffer();
    const out = await prepareImage(webp, LIMITS);
    expect(out.contentType).toBe('image/jpeg');
    expect(sniffImage(out.bytes)).toBe('jpeg');
  });

  it('downscales what the bus cannot carry, keeping the original coordinate system', async () => {
    const big = await noisy(1600, 1200);
    const maxBytes = Math.floor(big.length / 4);
    const out = await prepareImage(big, { maxPixels: 40_000_000, maxBytes });
    expect(out.bytes.length).toBeLessThanOrEqual(maxBytes);
    expect(out.original).toEqual({ width: 1600, height: 1200 });
    expect(out.sent.width).toBeLessThan(1600);
    expect(out.sent.width / out.sent.height).toBeCloseTo(4 / 3, 1);
    const meta = await sharp(out.bytes).metadata();
    expect({ width: meta.width, height: meta.height }).toEqual(out.sent);
  });

  it('refuses oversized pixel counts before decoding', async () => {
    await rejects(
      prepareImage(await solid(300, 300, 'png'), { maxPixels: 1000, maxBytes: 1e6 }),
      'IMAGE_TOO_LARGE',
      /300x300/,
    );
  });
});

describe('scaleBox', () => {
  it('maps boxes from the downscaled picture back to the original', () => {
    expect(
      scaleBox({ x: 10, y: 20, width: 30, height: 40 }, { width: 800, height: 600 }, { width: 1600, height: 1200 }),
    ).toEqual({
      x: 20,
      y: 40,
      width: 60,
      height: 80,
    });
  });

  it('is the identity when nothing was resized', () => {
    const box = { x: 1, y: 2, width: 3, height: 4 };
    expect(scaleBox(box, { width: 10, height: 10 }, { width: 10, height: 10 })).toBe(box);
  });

  it('stays inside the original picture after rounding', () => {
    const box = scaleBox(
      { x: 299, y: 0, width: 1, height: 300 },
      { width: 300, height: 300 },
      { width: 1001, height: 1001 },
    );
    expect(box.x + box.width).toBeLessThanOrEqual(1001);
    expect(box.y + box.height).toBeLessThanOrEqual(1001);
    expect(box.width).toBeGreaterThanOrEqual(1);
  });
});

describe('decode work', () => {
  /** A 16-bit greyscale PNG of a horizontal gradient, written by hand: a few hundred KB for tens of MB of samples. */
  const png16 = (width: number, height: number): Buffer => {
    const row = Buffer.alloc(1 + width * 2); // filter byte 0, then big-endian samples
    for (let x = 0; x < width; x++) row.writeUInt16BE(Math.round((x / width) * 65535), 1 + x * 2);
    const idat = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)), { level: 9 });
    return pngFile(width, height, { bitDepth: 16, colorType: 0 }, idat); // 16 bits, greyscale
  };

  it('refuses from the header an image that decodes to far more than its size (the 6300x6300 16-bit PNG)', async () => {
    const bomb = png16(6300, 6300);
    const meta = await sharp(bomb).metadata();
    expect([meta.width, meta.depth, bomb.length < 1_000_000]).toEqual([6300, 'ushort', true]);
    await rejects(
      inspectImage(bomb, 40_000_000),
      'IMAGE_TOO_LARGE',
      /6300x6300 pixels decodes to 76 MiB .* times its size \(at most 100\).*16-bit PNG/,
    );
  });

  it('accepts photos, small 16-bit images, and flat images too small to matter', async () => {
    await expect(inspectImage(await noisy(1200, 900), 40_000_000)).resolves.toMatchObject({ width: 1200 });
    await expect(inspectImage(await solid(640, 480, 'png'), 40_000_000)).resolves.toMatchObject({ width: 640 });
    await expect(inspectImage(png16(640, 480), 40_000_000)).resolves.toMatchObject({ width: 640 });
  });
});
