// ESLint: type-aware rules from typescript-eslint over every TypeScript file
// (sources, tests, benchmarks, webviews); Prettier owns the layout
// (`npm run format`), dependency-cruiser the layer rules (.dependency-cruiser.cjs).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'out/',
      'dist/',
      'media/',
      'test-artefacts/',
      'test/fixtures/',
      // The workspace `npm start` opens: text to train on, not part of RNN Lab.
      'sample/',
      '.rnnlab/',
      'scratch/',
      '.vscode-test/',
      // AssemblyScript: TypeScript syntax with decorators and types (f32x4, usize) that typescript-eslint cannot check.
      'assembly/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  // Before our rules: it switches off layout rules, and we keep max-len for what Prettier cannot wrap (strings, comments).
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Numbers, booleans and arrays read well in messages ("shape 2,3"); objects and undefined do not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowArray: true }],
      // `import x = require('m')` is TypeScript's typed form for CommonJS modules without default exports.
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
      // An async function that implements a Promise-returning interface without awaiting is fine: it turns throws into rejections.
      '@typescript-eslint/require-await': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // node:test's test() returns a promise the runner awaits itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      // Functions that fit on a screen (issue #11): the loop, the setup and the handlers are collaborators.
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }],
      // A test's title is one sentence, however long.
      'max-len': ['error', { code: 160, ignoreUrls: true, ignoreRegExpLiterals: true, ignorePattern: '^\\s*(test|it|describe|suite)\\(' }],
    },
  },
  {
    // Tests and benchmarks: a test is one function (setup, act, assert) and may run long, and
    // tests read what programs print as JSON (any) on purpose, to check it field by field.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'max-lines-per-function': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Terminal colour escapes are what the CLI tests look for.
      'no-control-regex': 'off',
    },
  },
  {
    // Plain JavaScript (build and test scripts): no types to check.
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: { globals: { ...globals.node }, parserOptions: { projectService: false } },
  },
);
