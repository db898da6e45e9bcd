// ESLint (flat config) for the web client's ES modules: the recommended rules, browser globals,
// and node's for the replay package that the tests and benchmark also run under node.
// CommonJS because the repository's package.json is not "type": "module".
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  {
    files: ["credit/gateway/web/js/**/*.js"],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
  },
  {
    files: ["credit/gateway/web/js/verify/**/*.js"],
    languageOptions: { globals: { ...globals.browser, ...globals.worker, ...globals.node } },
  },
  {
    files: ["credit/gateway/web/js/**/*.js"],
    rules: {
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      eqeqeq: ["error", "always"],
      "prefer-const": "error",
      "no-var": "error",
    },
  },
];
