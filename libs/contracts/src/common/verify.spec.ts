import { verify } from './verify';

const enc = (x: number) => Array.from({ length: 128 }, (_, i) => (i === 0 ? x : 0));

describe('verify', () => {
  it('calls two close encodings the same person, with distance and similarity', () => {
    expect(verify(enc(0), enc(0.3))).toEqual({ distance: 0.3, same: true, similarity: 97, threshold: 0.6 });
  });

  it('calls two far encodings different, and the threshold itself is not a match', () => {
    expect(verify(enc(0), enc(0.9))).toEqual({ distance: 0.9, same: false, similarity: 25, threshold: 0.6 });
    expect(verify(enc(0), enc(0.6)).same).toBe(false);
  });

  it('honours a given threshold', () => {
    expect(verify(enc(0), enc(0.5), 0.4)).toMatchObject({ same: false, threshold: 0.4 });
    expect(verify(enc(0), enc(0.5), 0.8)).toMatchObject({ same: true, threshold: 0.8 });
  });

  it('refuses encodings of different lengths', () => {
    expect(() => verify([1, 2], [1])).toThrow(RangeError);
  });
});
