import { cropScore } from './crop-score';

const box = (w: number) => ({ x: 0, y: 0, width: w, height: w });

describe('cropScore', () => {
  it('is the box area without quality', () => {
    expect(cropScore(box(80))).toBe(6400);
  });

  it('prefers a sharp face to a larger blurred one', () => {
    expect(cropScore(box(80), { faceWidth: 80, sharpness: 150 })).toBeGreaterThan(
      cropScore(box(100), { faceWidth: 100, sharpness: 30 }),
    );
  });

  it('does not reward sharpness past SHARP_ENOUGH, so size decides between sharp faces', () => {
    expect(cropScore(box(80), { faceWidth: 80, sharpness: 500 })).toBe(
      cropScore(box(80), { faceWidth: 80, sharpness: 100 }),
    );
    expect(cropScore(box(90), { faceWidth: 90, sharpness: 120 })).toBeGreaterThan(
      cropScore(box(80), { faceWidth: 80, sharpness: 900 }),
    );
  });
});
