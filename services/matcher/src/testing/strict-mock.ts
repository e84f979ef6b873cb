/**
 * A mock that fails loudly on any member the test did not stub, instead of returning undefined
 * and letting a test pass by accident.
 */
export function strictMock<T extends object>(name: string, stubs: { [K in keyof T]?: T[K] & jest.Mock } = {}): jest.Mocked<T> {
  return new Proxy(stubs as object, {
    get(target, prop) {
      if (prop in target) return (target as Record<string | symbol, unknown>)[prop];
      // Promise resolution and jest's printing probe these; they are not calls on the mock.
      if (prop === 'then' || prop === 'asymmetricMatch' || prop === 'nodeType' || typeof prop === 'symbol') return undefined;
      throw new Error(`${name}.${String(prop)} was called but not stubbed`);
    },
  }) as jest.Mocked<T>;
}
