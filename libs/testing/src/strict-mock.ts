/**
 * A stand-in that has only the members a test gives it: touching any other member throws, so a
 * test cannot pass because an unexpected call quietly returned undefined.
 */
export function strictMock<T extends object>(name: string, members: { [K in keyof T]?: unknown } = {}): jest.Mocked<T> {
  return new Proxy(members, {
    get(target, prop, receiver) {
      if (prop in target) return Reflect.get(target, prop, receiver);
      // probed by await and by jest's printers; absent on a plain object too
      if (typeof prop === 'symbol' || prop === 'then' || prop === 'asymmetricMatch' || prop === 'nodeType')
        return undefined;
      throw new Error(`${name}.${String(prop)} was used but the test did not mock it`);
    },
  }) as jest.Mocked<T>;
}
