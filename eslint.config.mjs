// ESLint for every TypeScript and JavaScript file: `npm run lint` (part of `npm test`).
// typescript-eslint's recommended rules plus a few strict ones that catch bugs, not style:
// formatting is Prettier's job (`npm run format`).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      '**/coverage/',
      '**/.venv/',
      '.nx/',
      'test-artifacts/',
      'services/matcher/src/generated/',
      'apps/web/src/lib/api-types.ts',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-var': 'error',
      'prefer-const': 'error',
      'no-throw-literal': 'error',
      'no-return-assign': ['error', 'except-parens'],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // prom-client calls collect() with the metric as `this`; the service's metrics object is aliased
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['metrics'] }],
      // the code separates short statements with commas (`a(), b()`) on purpose
      '@typescript-eslint/no-unused-expressions': 'off',
      // CommonJS scripts require node:crypto under the same name as the global
      'no-redeclare': ['error', { builtinGlobals: false }],
      // flags `let x = fallback; try { x = … } catch {}`, which the code uses on purpose
      'no-useless-assignment': 'off',
      // Prettier owns line breaks (it puts `[format]()` of a member chain on its own line)
      'no-unexpected-multiline': 'off',
      '@typescript-eslint/prefer-as-const': 'error',
      '@typescript-eslint/no-unsafe-declaration-merging': 'error',
    },
  },
  {
    // CommonJS scripts (infra/scripts/*.js, jest.config.js) load their modules with require()
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['apps/web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'libs/testing/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
    // tests drive untyped JavaScript (infra/scripts/stack.js) and JSON bodies
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // bench scripts drive a browser: page.evaluate() callbacks run there
    files: ['bench/**/*.{js,mjs}'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);
