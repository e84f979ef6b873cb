import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { pngFile } from './png';

describe('pngFile', () => {
  it('writes a PNG that a decoder reads back pixel for pixel', async () => {
    // 2x2 8-bit RGB, each row led by filter byte 0
    const rows = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 10, 20, 30]);
    const png = pngFile(2, 2, { bitDepth: 8, colorType: 2 }, deflateSync(rows));
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width: 2, height: 2, channels: 3 });
    expect([...data]).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
  });

  it('lets the header claim a size the data does not have (a decompression bomb in a few hundred bytes)', async () => {
    const bomb = pngFile(50_000, 50_000, { bitDepth: 8, colorType: 2 }, deflateSync(Buffer.alloc(4096)));
    expect(bomb.length).toBeLessThan(1024);
    expect(await sharp(bomb, { limitInputPixels: false }).metadata()).toMatchObject({
      format: 'png',
      width: 50_000,
      height: 50_000,
    });
  });
});
