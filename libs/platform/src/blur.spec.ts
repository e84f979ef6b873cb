import sharp from 'sharp';
import { BLUR_PAD, blurArea, blurRegions } from './blur';

/** Random noise: every pixel differs from its neighbours, as the fine detail of a face does. */
async function noise(width: number, height: number): Promise<Buffer> {
  const px = Buffer.alloc(width * height * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 2654435761) >>> 24;
  return sharp(px, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** Mean absolute difference between horizontally adjacent pixels (grey) inside an area: detail. */
async function detail(jpeg: Buffer, a: { left: number; top: number; width: number; height: number }): Promise<number> {
  const { data, info } = await sharp(jpeg).extract(a).greyscale().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let y = 0; y < info.height; y++)
    for (let x = 1; x < info.width; x++) sum += Math.abs(data[y * info.width + x] - data[y * info.width + x - 1]);
  return sum / (info.height * (info.width - 1));
}

describe('blurArea', () => {
  it('grows a box by BLUR_PAD on each side and clips it to the image', () => {
    expect(blurArea({ x: 50, y: 50, width: 100, height: 50 }, 400, 400)).toEqual({
      left: 50 - 100 * BLUR_PAD,
      top: 50 - 50 * BLUR_PAD,
      width: 100 * (1 + 2 * BLUR_PAD),
      height: 50 * (1 + 2 * BLUR_PAD),
    });
    expect(blurArea({ x: 0, y: 0, width: 100, height: 100 }, 50, 60)).toEqual({
      left: 0,
      top: 0,
      width: 50,
      height: 60,
    });
    expect(blurArea({ x: 500, y: 0, width: 10, height: 10 }, 400, 400)).toBeNull();
  });
});

describe('blurRegions', () => {
  it('removes the detail inside a region and leaves the rest of the picture alone', async () => {
    const image = await noise(300, 200);
    const out = await blurRegions(image, [{ x: 40, y: 40, width: 80, height: 80 }]);
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 300, 200]);
    const inside = { left: 40, top: 40, width: 80, height: 80 };
    const outside = { left: 200, top: 40, width: 80, height: 80 };
    expect(await detail(out, inside)).toBeLessThan((await detail(image, inside)) / 10);
    expect(await detail(out, outside)).toBeGreaterThan((await detail(image, outside)) * 0.8);
  });

  it('maps regions once the size is known, and returns the picture as it came when there is nothing to do', async () => {
    const image = await noise(120, 90);
    expect(await blurRegions(image, [])).toBe(image);
    const seen: number[][] = [];
    const out = await blurRegions(image, (w, h) => (seen.push([w, h]), [{ x: 0, y: 0, width: w, height: h }]));
    expect(seen).toEqual([[120, 90]]);
    expect(await detail(out, { left: 0, top: 0, width: 120, height: 90 })).toBeLessThan(5);
  });

  it('draws overlays over the result', async () => {
    const image = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#000' } })
      .jpeg()
      .toBuffer();
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect x="0" y="0" width="40" height="40" fill="#fff"/></svg>',
    );
    const { data } = await sharp(await blurRegions(image, [], { overlays: [svg] }))
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(Math.min(...data)).toBeGreaterThan(240);
  });
});
