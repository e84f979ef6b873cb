import type { RecognizedFace } from '@glimpse/contracts';
import { blurRegions } from '@glimpse/platform';

/** Whether a face is an enrolled, named person's: the only faces BLUR_UNKNOWN leaves sharp. */
export const isNamedMatch = (f: RecognizedFace): boolean =>
  f.personId !== null && f.personName !== null && f.decision !== 'unsure';

/** What a face's box is labelled with: the name, the person's number, or how it was decided. */
export function labelOf(f: RecognizedFace): string {
  if (f.personName !== null) return f.personName;
  if (f.personNumber !== null) return `#${f.personNumber}`;
  return f.decision ?? 'unknown';
}

const escapeXml = (s: string): string =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** An SVG of the faces' boxes and labels over a width × height picture. */
export function boxesSvg(faces: readonly RecognizedFace[], width: number, height: number): Buffer {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 200));
  const items = faces.map((f) => {
    const { x, y, width: w, height: h } = f.box;
    const colour = isNamedMatch(f) ? '#22c55e' : '#f59e0b';
    const size = Math.max(10, Math.round(Math.min(w, 40) / 2.5));
    const ty = y >= size + 4 ? y - 4 : y + h + size + 2;
    return (
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>` +
      `<text x="${x}" y="${ty}" font-family="sans-serif" font-size="${size}" fill="${colour}" stroke="#000" stroke-width="0.6">${escapeXml(labelOf(f))}</text>`
    );
  });
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${items.join('')}</svg>`,
  );
}

/**
 * `?annotated=true` of recognize: the picture the recognizer saw (boxes are in its pixels) as a JPEG with
 * each face boxed and labelled; with `blurUnknown` (BLUR_UNKNOWN) every face that is no enrolled, named
 * person's is blurred first, so the image can be kept or forwarded without showing bystanders.
 */
export function annotate(
  image: Buffer,
  size: { width: number; height: number },
  faces: readonly RecognizedFace[],
  blurUnknown: boolean,
): Promise<Buffer> {
  const blurred = blurUnknown ? faces.filter((f) => !isNamedMatch(f)).map((f) => f.box) : [];
  return blurRegions(image, blurred, { overlays: [boxesSvg(faces, size.width, size.height)] });
}
