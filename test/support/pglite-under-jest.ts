/**
 * Setup file of the integration tier. PGlite loads its wasm and extensions with dynamic import(), which
 * jest's module sandbox refuses without --experimental-vm-modules; tests that run the matcher in-process
 * therefore get PGlite from Node's own require.
 */
jest.mock('@electric-sql/pglite', () => nativeRequire('@electric-sql/pglite'));
jest.mock('@electric-sql/pglite-pgvector', () => nativeRequire('@electric-sql/pglite-pgvector'));

function nativeRequire(id: string): unknown {
  // jest hands out its own `module` builtin, whose createRequire would come straight back to the mock.
  const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module');
  return createRequire(__filename)(id);
}
