// @ts-check
// After a claim is sent: the link peers open to confirm it, a "Copy link" button and the link's
// QR code. The gateway makes the QR code (GET /v1/claims/{id}/share): nothing leaves for another
// service, and the image is shown from a data: URL (the page's CSP allows only those).
import { reason } from "../api.js";
import { h, fill } from "../dom.js";
import { t } from "../i18n.js";

/** @typedef {{link: string, qr_svg: string}} Share the answer of GET /v1/claims/{id}/share */

/**
 * A card for ``recordId``'s share link, filled when the gateway answers.
 * @param {import("../types.js").App} app
 * @param {string} recordId
 */
export function shareCard(app, recordId) {
  const card = h("div", { class: "share", id: "claim-share" }, h("p", { class: "muted" }, t("share.loading")));
  app.shares = app.shares || {};
  const known = app.shares[recordId];
  /** @param {Share} share */
  const draw = (share) => drawShare(card, share);
  if (known) draw(known);
  else {
    app.api
      .get(`/v1/claims/${recordId}/share`)
      .then((/** @type {Share} */ share) => {
        app.shares[recordId] = share;
        draw(share);
      })
      .catch((err) => fill(card, h("p", { class: "muted" }, t("share.unavailable", { reason: reason(err) }))));
  }
  return card;
}

/**
 * @param {HTMLElement} card
 * @param {Share} share
 */
function drawShare(card, share) {
  const input = h("input", { type: "text", id: "share-link", readonly: true, value: share.link, "aria-label": t("share.linkLabel") });
  const copied = h("span", { class: "small", id: "share-copied", role: "status", "aria-live": "polite" });
  const copy = h("button", {
    type: "button",
    id: "share-copy",
    onclick: async () => {
      copied.textContent = (await copyText(input)) ? t("share.copied") : t("share.copyByHand");
    },
  }, t("share.copy"));
  const qr = h("img", {
    id: "share-qr",
    class: "qr",
    alt: t("share.qrAlt"),
    width: 196,
    height: 196,
    src: "data:image/svg+xml;base64," + btoa(share.qr_svg),
  });
  fill(
    card,
    h("h3", {}, t("share.title")),
    h("p", {}, t("share.how")),
    h("div", { class: "share-row" }, input, copy, copied),
    qr,
    h("p", { class: "small muted" }, t("share.qrHint")),
  );
}

/** @param {HTMLInputElement} input */
async function copyText(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    input.select(); // the visitor can still copy it by hand
    return false;
  }
}
