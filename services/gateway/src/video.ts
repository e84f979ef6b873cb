export type VideoContainer = 'mp4' | 'mov' | 'webm' | 'mkv' | 'avi';

/** Bytes needed to tell the containers apart (Matroska's DocType sits within the first few dozen). */
export const VIDEO_SNIFF_BYTES = 64;

const HEIF_BRANDS = /^(avif|avis|heic|heix|hevc|hevx|heim|heis|mif1|msf1)$/;
const QUICKTIME_ATOMS = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

/** Decides the container from magic bytes; null when it is not a video we accept. */
export function sniffVideo(head: Buffer): VideoContainer | null {
  if (head.length >= 12 && head.toString('latin1', 4, 8) === 'ftyp') {
    const brand = head.toString('latin1', 8, 12);
    if (brand === 'qt  ') return 'mov';
    return HEIF_BRANDS.test(brand) ? null : 'mp4';
  }
  if (head.length >= 8 && QUICKTIME_ATOMS.has(head.toString('latin1', 4, 8))) return 'mov';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) {
    return head.subarray(0, VIDEO_SNIFF_BYTES).includes('webm', 0, 'latin1') ? 'webm' : 'mkv';
  }
  if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'AVI ')
    return 'avi';
  return null;
}
