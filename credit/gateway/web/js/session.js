// @ts-check
// What a view may rely on: code that runs only once the page is signed in (or has its config)
// reads them through these, which fail loudly on a bug instead of at the first property.

/** @typedef {import("./types.js").App} App */

/**
 * The signed-in session (views that act for the account run only then).
 * @param {App} app
 * @returns {import("./types.js").Session}
 */
export function sessionOf(app) {
  if (!app.session) throw new Error("this needs a signed-in session");
  return app.session;
}

/**
 * The gateway's /v1/config (loaded before any view is drawn).
 * @param {App} app
 * @returns {import("./types.js").Config}
 */
export function configOf(app) {
  if (!app.config) throw new Error("the gateway's configuration is not loaded yet");
  return app.config;
}
