// One lint configuration for the whole tree, run by `npm test` (npm run lint):
// ESLint's recommended rules and typescript-eslint's strict preset, with the
// exceptions below, each for a reason. test/fixtures/lint/ holds files that
// must fail (test/house.test.ts proves the rules run).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const nodeGlobals = Object.fromEntries(
  [
    'process',
    'Buffer',
    'console',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'URL',
    'URLSearchParams',
    'fetch',
    'performance',
    'AbortController',
    'AbortSignal',
    'TextEncoder',
    'TextDecoder',
    'structuredClone',
  ].map((name) => [name, 'readonly']),
)

export default tseslint.config(
  // test/fixtures: the reference's own samples, kept as published, and the lint fixtures that must fail.
  {ignores: ['dist/**', 'node_modules/**', 'test/fixtures/**', 'bench/results/**', 'coverage/**']},
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {globals: nodeGlobals},
    rules: {
      // `value!` after a check the compiler cannot follow (a Map read after has(), a regex group that matched) is clearer than a second check.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Unused names are tsc's job (noUnusedLocals, noUnusedParameters); `_name` marks one kept on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none'},
      ],
      // Control characters in a regex are the point where terminal text and header values are checked.
      'no-control-regex': 'off',
      // Records keyed by ids (accounts, tokens, an environment) are plain objects saved as JSON: delete is how a key leaves one.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // A variable assigned once after a closure that reads it is not a constant.
      'prefer-const': ['error', {destructuring: 'all', ignoreReadBeforeAssign: true}],
      eqeqeq: ['error', 'always'],
      'no-console': ['error', {allow: ['error']}],
    },
  },
  {
    // The entries are CommonJS (bin/package.json): Node starts them without its ES module loader.
    files: ['bin/*.js'],
    languageOptions: {sourceType: 'commonjs', globals: {...nodeGlobals, require: 'readonly', __dirname: 'readonly', __filename: 'readonly'}},
    rules: {'@typescript-eslint/no-require-imports': 'off'},
  },
  {
    files: ['test/**', 'bench/**', 'examples/**', 'scripts/**'],
    rules: {
      // Tests and scripts read loosely typed JSON and report as they go.
      '@typescript-eslint/no-explicit-any': 'off',
      'no-console': 'off',
    },
  },
)
