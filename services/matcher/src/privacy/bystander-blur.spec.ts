import { blurBystanders, intoCrop } from './bystander-blur';

describe('intoCrop', () => {
  it('maps frame boxes into a crop cut from cropBox and scaled', () => {
    // the crop shows frame pixels 100..300 × 50..250, scaled to 100 × 100
    const [r] = intoCrop(
      [{ x: 150, y: 100, width: 40, height: 20 }],
      { x: 100, y: 50, width: 200, height: 200 },
      100,
      100,
    );
    expect(r).toEqual({ x: 25, y: 25, width: 20, height: 10 });
  });
});

describe('blurBystanders', () => {
  const crop = Buffer.from('not decoded unless needed');
  const own = { x: 100, y: 100, width: 50, height: 50 };

  it('keeps a crop that shows no bystander as it came (no decoding)', async () => {
    const far = { x: 400, y: 400, width: 50, height: 50 };
    await expect(blurBystanders(crop, own, { x: 80, y: 80, width: 90, height: 90 }, [far])).resolves.toBe(crop);
    await expect(blurBystanders(crop, own, undefined, [far])).resolves.toBe(crop);
    await expect(blurBystanders(crop, own, { x: 80, y: 80, width: 90, height: 90 }, [])).resolves.toBe(crop);
  });
});
