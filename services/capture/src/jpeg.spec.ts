import { JpegSplitter, readJpegSize } from './jpeg';
import { BASELINE, PROGRESSIVE } from './jpeg.fixture';

const seg = (marker: number, payload: number[]) =>
  Buffer.from([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload]);

/**
 * Hand-made JPEG structure with the traps: an EOI inside an APP1 payload (an EXIF thumbnail),
 * stuffed 0xFF00 and restart markers in entropy data, and fill bytes before a marker.
 */
function tricky(width: number, height: number): Buffer {
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    seg(0xe1, [0x45, 0x78, 0x69, 0x66, 0, 0, 0xff, 0xd8, 0x01, 0xff, 0xd9, 0x02]),
    seg(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]),
    seg(0xda, [1, 1, 0, 0, 63, 0]),
    Buffer.from([0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0xff, 0x00, 0xff, 0xd7, 0x78]),
    Buffer.from([0xff, 0xff, 0xd9]),
  ]);
}

const FRAMES = [BASELINE, tricky(1920, 1080), PROGRESSIVE, tricky(3, 2)];
const GARBAGE = Buffer.from([0x00, 0xff, 0x12, 0xff, 0xd9, 0xff]);
const STREAM = Buffer.concat([GARBAGE, FRAMES[0], FRAMES[1], GARBAGE, FRAMES[2], FRAMES[3], GARBAGE]);

function feed(splitter: JpegSplitter, chunks: Buffer[]): Buffer[] {
  return chunks.flatMap((c) => splitter.push(c));
}

describe('JpegSplitter', () => {
  it('cuts whole JPEGs out of a stream and drops bytes between them', () => {
    const frames = feed(new JpegSplitter(), [STREAM]);
    expect(frames).toEqual(FRAMES);
  });

  it('finds the same frames whatever chunk boundary the pipe chose', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const frames = feed(new JpegSplitter(), [STREAM.subarray(0, cut), STREAM.subarray(cut)]);
      if (frames.length !== FRAMES.length || !frames.every((f, i) => f.equals(FRAMES[i]))) {
        throw new Error(`wrong frames when split at byte ${cut}`);
      }
    }
  });

  it('survives one-byte chunks and random chunkings', () => {
    const bytes = [...STREAM].map((b) => Buffer.from([b]));
    expect(feed(new JpegSplitter(), bytes)).toEqual(FRAMES);
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const chunks: Buffer[] = [];
      for (let p = 0; p < STREAM.length;) {
        const n = 1 + Math.floor(rand() * 64);
        chunks.push(STREAM.subarray(p, p + n));
        p += n;
      }
      expect(feed(new JpegSplitter(), chunks)).toEqual(FRAMES);
    }
  });

  it('does not emit a frame until its EOI has arrived', () => {
    const s = new JpegSplitter();
    expect(s.push(BASELINE.subarray(0, BASELINE.length - 1))).toEqual([]);
    expect(s.push(BASELINE.subarray(BASELINE.length - 1))).toEqual([BASELINE]);
  });

  it('drops a frame that grows past the limit and recovers at the next one', () => {
    const huge = Buffer.concat([BASELINE.subarray(0, BASELINE.length - 2), Buffer.alloc(5000, 0x11)]);
    const s = new JpegSplitter(2000);
    const frames = feed(s, [huge.subarray(0, 2500), huge.subarray(2500), BASELINE]);
    expect(frames).toEqual([BASELINE]);
    expect(s.droppedBytes).toBeGreaterThanOrEqual(huge.length);
  });

  it('resynchronises after a truncated frame', () => {
    const truncated = BASELINE.subarray(0, BASELINE.length - 40);
    expect(feed(new JpegSplitter(), [Buffer.concat([truncated, PROGRESSIVE])])).toEqual([PROGRESSIVE]);
  });
});

describe('readJpegSize', () => {
  it('reads the size from baseline (SOF0) and progressive (SOF2) JPEGs', () => {
    expect(readJpegSize(BASELINE)).toEqual({ width: 16, height: 8 });
    expect(readJpegSize(PROGRESSIVE)).toEqual({ width: 24, height: 16 });
    expect(readJpegSize(tricky(1920, 1080))).toEqual({ width: 1920, height: 1080 });
  });

  it('returns null for anything that is not a complete JPEG header', () => {
    expect(readJpegSize(Buffer.alloc(0))).toBeNull();
    expect(readJpegSize(Buffer.from('not a jpeg at all'))).toBeNull();
    expect(readJpegSize(BASELINE.subarray(0, 30))).toBeNull();
    expect(readJpegSize(tricky(0, 10))).toBeNull();
  });
});
