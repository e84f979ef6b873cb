import { toVectorLiteral } from './face.repository';

describe('toVectorLiteral', () => {
  it('writes a pgvector text literal', () => {
    expect(toVectorLiteral([0.1, -2, 1e-7, 3])).toBe('[0.1,-2,1e-7,3]');
  });

  it('refuses values pgvector would reject', () => {
    expect(() => toVectorLiteral([1, NaN])).toThrow(RangeError);
    expect(() => toVectorLiteral([Infinity])).toThrow(RangeError);
  });
});
