import type { Canvas, CanvasRenderingContext2D, ImageData } from 'canvas';
import { canvas, i420Bytes, wrtc, type I420Frame } from './wrtc';

interface Surface {
  canvas: Canvas;
  ctx: CanvasRenderingContext2D;
  image?: ImageData;
}

export interface JpegOptions {
  /** Wider frames are scaled down to this width, keeping the aspect ratio. */
  maxWidth: number;
  /** 0–1. */
  quality: number;
}

type Convert = (i420: I420Frame, rgba: I420Frame) => void;

/**
 * I420 → RGBA (libyuv, in wrtc) → node-canvas → JPEG, about 1.3 ms for 640x480. One per stream:
 * the canvases are reused while the frame size stays the same.
 */
export class I420JpegEncoder {
  private full?: Surface;
  private scaled?: Surface;

  constructor(
    private readonly opts: JpegOptions,
    private readonly convert: Convert = (a, b) => wrtc().nonstandard.i420ToRgba(a, b),
  ) {}

  encode(frame: I420Frame): Buffer {
    const { width, height } = frame;
    if (!(width > 0 && height > 0) || frame.data.byteLength !== i420Bytes(width, height)) {
      throw new Error(`not an I420 frame: ${width}x${height} with ${frame.data.byteLength} bytes`);
    }
    const full = (this.full = this.surface(this.full, width, height, true));
    this.convert(frame, { width, height, data: full.image!.data as unknown as Uint8Array });
    full.ctx.putImageData(full.image!, 0, 0);
    let out = full.canvas;
    if (width > this.opts.maxWidth) {
      const w = this.opts.maxWidth;
      const h = Math.max(1, Math.round((height * w) / width));
      const scaled = (this.scaled = this.surface(this.scaled, w, h, false));
      scaled.ctx.drawImage(full.canvas, 0, 0, w, h);
      out = scaled.canvas;
    }
    return out.toBuffer('image/jpeg', { quality: this.opts.quality });
  }

  private surface(current: Surface | undefined, width: number, height: number, withImage: boolean): Surface {
    if (current && current.canvas.width === width && current.canvas.height === height) return current;
    const c = canvas().createCanvas(width, height);
    const ctx = c.getContext('2d');
    return { canvas: c, ctx, image: withImage ? ctx.createImageData(width, height) : undefined };
  }
}
