import { sniffVideo } from './video';

const box = (type: string, brand: string) => {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(32, 0);
  b.write(type, 4, 'latin1');
  b.write(brand, 8, 'latin1');
  return b;
};

describe('sniffVideo', () => {
  it('recognizes the accepted containers', () => {
    expect(sniffVideo(box('ftyp', 'isom'))).toBe('mp4');
    expect(sniffVideo(box('ftyp', 'qt  '))).toBe('mov');
    expect(sniffVideo(box('moov', ''))).toBe('mov');
    const ebml = Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x82, 0x84]), Buffer.from('webm')]);
    expect(sniffVideo(ebml)).toBe('webm');
    expect(sniffVideo(Buffer.concat([ebml.subarray(0, 8), Buffer.from('matroska')]))).toBe('mkv');
    expect(sniffVideo(Buffer.from('RIFF\0\0\0\0AVI LIST'))).toBe('avi');
  });

  it('refuses images and anything else', () => {
    expect(sniffVideo(box('ftyp', 'heic'))).toBeNull();
    expect(sniffVideo(box('ftyp', 'avif'))).toBeNull();
    expect(sniffVideo(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBeNull();
    expect(sniffVideo(Buffer.from('hello world, not a video at all'))).toBeNull();
    expect(sniffVideo(Buffer.alloc(0))).toBeNull();
  });
});
