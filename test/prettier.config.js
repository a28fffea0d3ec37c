// Prettier, set to the style the code is written in (`npm run format`, `npm run format:check`).
// Under test/ because the repository's top level is kept to what the spec lists.
export default {
  printWidth: 140,
  singleQuote: true,
  trailingComma: 'all',
  arrowParens: 'always',
};
