const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

/** Markers that stand alone, without a length field. */
const standalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd7);

/** SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not. */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

type Phase = 'seek' | 'segments' | 'entropy';

/**
 * Cuts a byte stream of concatenated JPEGs (ffmpeg `image2pipe`) into whole images.
 * It walks the marker segments rather than searching for FFD9 anywhere, so an EOI inside
 * an APP segment (an EXIF thumbnail) does not cut a frame short; inside entropy-coded data
 * 0xFF is always followed by 00, a restart marker or a real marker. Bytes outside a JPEG
 * are dropped, and a frame growing past `maxFrameBytes` is dropped to bound memory.
 */
export class JpegSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private phase: Phase = 'seek';
  /** Bytes thrown away: garbage between frames and oversized or corrupt frames. */
  droppedBytes = 0;

  constructor(private readonly maxFrameBytes = 32 * 1024 * 1024) {}

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      const frame = this.step();
      if (frame === 'more') break;
      if (frame) frames.push(frame);
    }
    if (this.phase !== 'seek' && this.buf.length > this.maxFrameBytes) {
      this.drop(this.buf.length);
      this.phase = 'seek';
    }
    return frames;
  }

  /** Advances the parser once: a frame, `null` (progress, no frame yet) or `more` (needs bytes). */
  private step(): Buffer | null | 'more' {
    switch (this.phase) {
      case 'seek':
        return this.seek();
      case 'segments':
        return this.segment();
      case 'entropy':
        return this.entropy();
    }
  }

  private seek(): null | 'more' {
    const at = findSoi(this.buf, this.pos);
    if (at < 0) {
      // keep a trailing 0xFF: it may be the first half of the next SOI
      const keep = this.buf.length > 0 && this.buf[this.buf.length - 1] === 0xff ? 1 : 0;
      this.drop(this.buf.length - keep);
      return 'more';
    }
    this.drop(at);
    this.pos = 2;
    this.phase = 'segments';
    return null;
  }

  private segment(): Buffer | null | 'more' {
    const b = this.buf;
    let p = this.pos;
    while (p < b.length && b[p] === 0xff && b[p + 1] === 0xff) p++; // fill bytes
    this.pos = p;
    if (p + 2 > b.length) return 'more';
    if (b[p] !== 0xff) return this.resync();
    const marker = b[p + 1];
    if (marker === EOI) return this.emit(p + 2);
    if (marker === SOI) return this.resync();
    if (standalone(marker)) {
      this.pos = p + 2;
      return null;
    }
    if (p + 4 > b.length) return 'more';
    const len = b.readUInt16BE(p + 2);
    if (len < 2) return this.resync();
    this.pos = p + 2 + len;
    if (marker === SOS) this.phase = 'entropy';
    return null;
  }

  private entropy(): Buffer | null | 'more' {
    const b = this.buf;
    let p = this.pos;
    for (;;) {
      p = b.indexOf(0xff, p);
      if (p < 0) {
        this.pos = b.length;
        return 'more';
      }
      if (p + 1 >= b.length) {
        this.pos = p;
        return 'more';
      }
      const next = b[p + 1];
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
        p += next === 0xff ? 1 : 2;
        continue;
      }
      if (next === EOI) return this.emit(p + 2);
      // another segment (progressive JPEGs have several scans with tables between them)
      this.pos = p;
      this.phase = 'segments';
      return null;
    }
  }

  private emit(end: number): Buffer {
    // copy, so a frame does not pin the whole read buffer
    const frame = Buffer.from(this.buf.subarray(0, end));
    this.buf = this.buf.subarray(end);
    this.pos = 0;
    this.phase = 'seek';
    return frame;
  }

  /** Corrupt data inside a frame: drop the frame's start and look for the next SOI. */
  private resync(): null {
    this.drop(2);
    this.phase = 'seek';
    return null;
  }

  private drop(n: number): void {
    this.droppedBytes += n;
    this.buf = this.buf.subarray(n);
    this.pos = 0;
  }
}

function findSoi(b: Buffer, from: number): number {
  for (let p = b.indexOf(0xff, from); p >= 0 && p + 1 < b.length; p = b.indexOf(0xff, p + 1)) {
    if (b[p + 1] === SOI) return p;
  }
  return -1;
}

export interface JpegSize {
  width: number;
  height: number;
}

/** Width and height from the SOF segment of a complete JPEG, or null when there is none. */
export function readJpegSize(b: Uint8Array): JpegSize | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== SOI) return null;
  let p = 2;
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) return null;
    const marker = b[p + 1];
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (standalone(marker)) {
      p += 2;
      continue;
    }
    if (marker === SOS || marker === EOI) return null;
    const len = (b[p + 2] << 8) | b[p + 3];
    if (isSof(marker)) {
      if (p + 9 > b.length || len < 7) return null;
      const height = (b[p + 5] << 8) | b[p + 6];
      const width = (b[p + 7] << 8) | b[p + 8];
      return width > 0 && height > 0 ? { width, height } : null;
    }
    if (len < 2) return null;
    p += 2 + len;
  }
  return null;
}
