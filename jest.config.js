/** Test tiers: unit (no I/O), integration (real NATS, worker, PGlite), e2e (running stack, real browser). */
const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.base.json', isolatedModules: true }] },
  moduleNameMapper: {
    '^@glimpse/contracts$': '<rootDir>/libs/contracts/src/index.ts',
    '^@glimpse/platform$': '<rootDir>/libs/platform/src/index.ts',
    '^@glimpse/testing$': '<rootDir>/libs/testing/src/index.ts',
  },
  rootDir: __dirname,
};

module.exports = {
  // Per-project testTimeout is ignored by Jest; integration and e2e tests start real processes.
  testTimeout: 180000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/{libs,services}/*/src/**/*.spec.ts', '<rootDir>/apps/*/src/**/*.spec.ts'],
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/pglite-under-jest.ts'],
    },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
