// Lint: typescript-eslint with type information for lib/, nodes/, test/ and bench/,
// plain recommended rules for the build and editor scripts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'resources/', 'node_modules/', '.node-red/', 'coverage/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
      // Node-RED node constructors name their `this` "node", as Node-RED's own nodes do.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
      // `import x = require()` is how TypeScript imports a module that sets module.exports (Node-RED node modules).
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
    },
  },
  {
    // Tests and benchmarks talk to the terminal; mocha's `this` and chai-less assertions need a little slack.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'lib/sim/cli.ts', 'nodes/flow-test/cli.ts', 'lib/sim/sound-catalogue.ts', 'lib/playground/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // require('node-red-contrib-callflow/flow-test'): a CommonJS file at the package's root.
    files: ['flow-test.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['**/*.mjs', '.ci/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
