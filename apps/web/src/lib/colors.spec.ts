import { fnv1a, personColor, personHue, UNKNOWN_COLOR } from './colors';

describe('personColor', () => {
  it('is stable for a person and differs between consecutive numbers', () => {
    expect(personColor('a', 1)).toBe(personColor('b', 1));
    const hues = [1, 2, 3, 4, 5, 6].map((n) => personHue(null, n)!);
    for (let i = 1; i < hues.length; i++) {
      const d = Math.abs(hues[i] - hues[i - 1]);
      expect(Math.min(d, 360 - d)).toBeGreaterThan(100);
    }
  });

  it('hashes the id when the number is unknown, and greys out faces without a person', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    expect(personColor(id, null)).toBe(personColor(id));
    expect(personColor(id)).toMatch(/^hsl\(\d+, 65%, 42%\)$/);
    expect(personColor(null, null)).toBe(UNKNOWN_COLOR);
    expect(personColor(undefined, 0)).toBe(UNKNOWN_COLOR);
  });

  it('uses the comma syntax that canvas accepts', () => {
    expect(personColor('x', 7)).toBe(`hsl(${Math.round((7 * 137.508) % 360)}, 65%, 42%)`);
  });

  it('fnv1a is the standard 32-bit hash', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
  });
});
