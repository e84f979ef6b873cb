import { readJpegSize } from '../jpeg';
import { I420JpegEncoder } from './i420-jpeg';
import { i420Bytes, wrtc } from './wrtc';

/** A synthetic I420 frame: a horizontal luma ramp, neutral chroma. */
function ramp(width: number, height: number) {
  const data = new Uint8Array(i420Bytes(width, height));
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = Math.round((x / width) * 255);
  data.fill(128, width * height);
  return { width, height, data };
}

describe('I420JpegEncoder (real libyuv and node-canvas)', () => {
  it('turns an I420 frame into a JPEG of the same size', () => {
    const jpeg = new I420JpegEncoder({ maxWidth: 1280, quality: 0.8 }).encode(ramp(640, 480));
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
    expect(readJpegSize(jpeg)).toEqual({ width: 640, height: 480 });
  });

  it('keeps the picture: decoding the JPEG back gives the ramp', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the native canvas module loads only for this test
    const { createCanvas, Image } = require('canvas') as typeof import('canvas');
    const jpeg = new I420JpegEncoder({ maxWidth: 1280, quality: 0.9 }).encode(ramp(320, 240));
    const img = new Image();
    img.src = jpeg;
    const c = createCanvas(320, 240);
    c.getContext('2d').drawImage(img, 0, 0);
    const px = c.getContext('2d').getImageData(0, 120, 320, 1).data;
    expect(px[0]).toBeLessThan(20);
    expect(px[4 * 160]).toBeGreaterThan(110);
    expect(px[4 * 160]).toBeLessThan(145);
    expect(px[4 * 319]).toBeGreaterThan(230);
  });

  it('scales wider frames down to maxWidth, keeping the aspect ratio, and follows size changes', () => {
    const enc = new I420JpegEncoder({ maxWidth: 640, quality: 0.8 });
    expect(readJpegSize(enc.encode(ramp(1280, 720)))).toEqual({ width: 640, height: 360 });
    expect(readJpegSize(enc.encode(ramp(321, 241)))).toEqual({ width: 321, height: 241 });
  });

  it('refuses a buffer that is not an I420 frame of the stated size', () => {
    const enc = new I420JpegEncoder({ maxWidth: 640, quality: 0.8 });
    expect(() => enc.encode({ width: 640, height: 480, data: new Uint8Array(10) })).toThrow(/not an I420 frame/);
  });

  it('agrees with wrtc about I420 sizes, odd ones included', () => {
    const { rgbaToI420 } = wrtc().nonstandard;
    for (const [w, h] of [
      [640, 480],
      [321, 241],
    ]) {
      expect(() =>
        rgbaToI420(
          { width: w, height: h, data: new Uint8Array(w * h * 4) },
          { width: w, height: h, data: new Uint8Array(i420Bytes(w, h)) },
        ),
      ).not.toThrow();
    }
  });
});
