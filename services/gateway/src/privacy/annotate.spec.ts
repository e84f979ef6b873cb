import type { RecognizedFace } from '@glimpse/contracts';
import { faceOfNobody } from '@glimpse/testing';
import sharp from 'sharp';
import { annotate, boxesSvg, isNamedMatch, labelOf } from './annotate';

const face = (over: Partial<RecognizedFace>): RecognizedFace =>
  faceOfNobody({ x: 10, y: 10, width: 60, height: 60 }, over);
const named = face({
  personId: '7d5f7c52-1c1b-4b7e-9f3a-0e0f6f1e2a01',
  personNumber: 1,
  personName: 'Ada <&>',
  decision: 'match',
});
const unnamed = face({
  box: { x: 100, y: 10, width: 60, height: 60 },
  personId: '7d5f7c52-1c1b-4b7e-9f3a-0e0f6f1e2a02',
  personNumber: 2,
  decision: 'new',
});
const unknown = face({ box: { x: 10, y: 100, width: 60, height: 60 }, decision: 'unknown' });

describe('annotation', () => {
  it('leaves only enrolled, named persons sharp and labels each face', () => {
    expect([named, unnamed, unknown].map(isNamedMatch)).toEqual([true, false, false]);
    expect([named, unnamed, unknown].map(labelOf)).toEqual(['Ada <&>', '#2', 'unknown']);
    const svg = boxesSvg([named], 200, 200).toString();
    expect(svg).toContain('Ada &lt;&amp;&gt;');
    expect(svg).not.toContain('Ada <&>');
  });

  it("blurs the faces that are no named person's under BLUR_UNKNOWN, and none without it", async () => {
    const px = Buffer.alloc(200 * 200 * 3);
    for (let i = 0; i < px.length; i++) px[i] = (i * 2654435761) >>> 24;
    const image = await sharp(px, { raw: { width: 200, height: 200, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    const spread = async (jpeg: Buffer, x: number, y: number) => {
      const { data } = await sharp(jpeg)
        .extract({ left: x + 15, top: y + 15, width: 30, height: 30 })
        .greyscale()
        .raw()
        .toBuffer({ resolveWithObject: true });
      return Math.max(...data) - Math.min(...data);
    };
    const blurred = await annotate(image, { width: 200, height: 200 }, [named, unnamed, unknown], true);
    expect(await spread(blurred, 10, 10)).toBeGreaterThan(150); // the named face's inside keeps its detail
    expect(await spread(blurred, 100, 10)).toBeLessThan(100);
    expect(await spread(blurred, 10, 100)).toBeLessThan(100);
    const plain = await annotate(image, { width: 200, height: 200 }, [named, unnamed, unknown], false);
    expect(await spread(plain, 100, 10)).toBeGreaterThan(150);
  });
});
