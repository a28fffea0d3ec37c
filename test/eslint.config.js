// ESLint 9 flat config (`npm run lint`, part of `npm test`). It lives under test/ because the
// repository's top level is kept to what the spec lists; `--config test/eslint.config.js` finds it.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', '.test-dist/', 'coverage/', 'test-output/', 'uploads/', 'test/contract/schema.d.ts'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_name` marks a parameter or destructured field left out on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The pages' own scripts run in the browser.
    files: ['src/*/page/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
