// @ts-check
// What every form that signs and sends shares: storing a text as evidence, the account's nonces,
// the wallet-then-gateway steps told in the form's progress line, and the disabled buttons while
// a submission is on its way.
import { sessionOf, configOf } from "./session.js";
import { t } from "./i18n.js";
import { typedData } from "./typed.js";
import { ZERO32 } from "./format.js";

/** @typedef {import("./types.js").App} App */

/**
 * Store ``text`` as evidence (POST /v1/evidence); resolves to ``{id, commitment, …}``.
 * @param {App} app
 * @param {string} text
 * @returns {Promise<any>}
 */
export function storeText(app, text) {
  return app.api.request("POST", "/v1/evidence", { body: text, contentType: "text/plain; charset=utf-8" });
}

/**
 * The commitment to sign for an optional evidence ``text``: stored first (told in ``progress``),
 * or ZERO32 when there is none.
 * @param {App} app
 * @param {string} text
 * @param {HTMLElement} progress
 * @returns {Promise<string>}
 */
export async function evidenceFor(app, text, progress) {
  if (!text) return ZERO32;
  progress.textContent = t("claim.uploading");
  const stored = await storeText(app, text);
  return stored.commitment;
}

/**
 * The signed-in account's nonces and the chain's clock (GET /v1/residents/{address}/nonces).
 * @param {App} app
 * @returns {Promise<any>}
 */
export function noncesOf(app) {
  return app.api.get(`/v1/residents/${sessionOf(app).address}/nonces`);
}

/**
 * Have the wallet sign ``message`` as the EIP-712 ``primaryType``, then POST ``body(signature)``
 * to ``path``, telling each step in ``progress``. Resolves to the gateway's answer, or null when
 * the wallet declined to sign.
 * @param {App} app
 * @param {HTMLElement} progress
 * @param {string} primaryType
 * @param {Record<string, unknown>} message
 * @param {string} path
 * @param {(signature: string) => object} body
 * @returns {Promise<any>}
 */
export async function signAndPost(app, progress, primaryType, message, path, body) {
  progress.textContent = t("progress.wallet");
  const signature = await app.signData(typedData(configOf(app), primaryType, message));
  if (!signature) {
    progress.textContent = "";
    return null;
  }
  progress.textContent = t("progress.sending");
  const out = await app.api.post(path, body(signature));
  progress.textContent = "";
  return out;
}

/**
 * Run ``action`` with ``buttons`` disabled. When it fails, ``progress`` is cleared and the error
 * goes to ``failed`` (the page's error banner unless given); resolves to undefined then.
 * @template T
 * @param {App} app
 * @param {HTMLButtonElement[]} buttons
 * @param {HTMLElement} progress
 * @param {() => Promise<T>} action
 * @param {(err: unknown) => void} [failed]
 * @returns {Promise<T | undefined>}
 */
export async function whileBusy(app, buttons, progress, action, failed = (err) => app.fail(err)) {
  buttons.forEach((b) => (b.disabled = true));
  try {
    return await action();
  } catch (err) {
    progress.textContent = "";
    failed(err);
    return undefined;
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}
