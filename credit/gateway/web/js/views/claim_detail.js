// @ts-check
// A claim as an evaluator sees it before confirming: activity, amount, date, who asks, evidence.
// Used by the queue ("Show details") and by a shared link (#/confirm/<record id>), which opens
// the confirm view with the claim loaded once the visitor has signed in.
import { configOf } from "../session.js";
import { statusOf } from "../api.js";
import { h, fill, byId } from "../dom.js";
import { t, lang, categoryTitle } from "../i18n.js";
import { day, pageLink } from "../format.js";

const LINK = /^#\/confirm\/(0x[0-9a-fA-F]{64})$/;

/** The record id of a shared link in the address bar (``#/confirm/<id>``), or null. */
export function linkedClaim() {
  const m = LINK.exec(window.location.hash || "");
  return m ? m[1].toLowerCase() : null;
}

/**
 * Show the linked claim, if the address names one (after sign-in, in the confirm view).
 * @param {import("../types.js").App} app
 */
export async function openLinkedClaim(app) {
  const id = linkedClaim();
  if (id) await showClaimDetail(app, id);
}

/**
 * @param {import("../types.js").App} app
 * @param {number | string} category
 */
function unitOf(app, category) {
  const c = configOf(app).rules.categories.find((x) => x.id === Number(category));
  return c ? c.unit[lang()] || c.unit.en : "";
}

/**
 * Load a claim's details and draw the panel at the top of the confirm view.
 * @param {import("../types.js").App} app
 * @param {string} recordId
 */
export async function showClaimDetail(app, recordId) {
  const panel = byId("claim-detail");
  // the same claim again (after confirming it): keep the evidence already read, no second read
  const evidence = app.detail && app.detail.recordId === recordId ? app.detail.evidence : null;
  app.detail = { recordId, claim: null, evidence, problem: null };
  try {
    app.detail.claim = await app.api.get(`/v1/claims/${recordId}/details`);
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
    app.detail.problem = "notFound";
  }
  renderClaimDetail(app);
  panel.focus();
}

/**
 * Draw the panel from what is loaded (again after a language switch).
 * @param {import("../types.js").App} app
 */
export function renderClaimDetail(app) {
  const panel = byId("claim-detail");
  const d = app.detail;
  if (!d) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const close = h("button", { type: "button", class: "ghost", id: "detail-close", onclick: () => closeDetail(app) }, t("detail.close"));
  if (d.problem === "notFound") {
    fill(panel, h("h2", { id: "detail-title" }, t("detail.title")), h("p", {}, t("detail.notFound")), close);
    return;
  }
  const c = d.claim;
  const unit = unitOf(app, c.category);
  const rows = [
    [t("detail.activity"), categoryTitle(app.config, c.category), "detail-activity"],
    [t("detail.amount"), `${c.units} ${unit}`.trim(), "detail-amount"],
    [t("detail.date"), day(c.occurred_at), "detail-date"],
    [t("detail.who"), c.viewer === "claimant" ? t("detail.you") : pageLink("address", c.resident), "detail-who"],
    [t("detail.status"), t(`claim.status.${c.status}`), "detail-status"],
  ];
  fill(
    panel,
    h("h2", { id: "detail-title" }, t("detail.title")),
    h("dl", { class: "detail" }, rows.map(([k, v, id]) => [h("dt", {}, k), h("dd", { id }, v)])),
    h("h3", {}, t("detail.evidence")),
    evidenceBlock(app, c),
    actions(app, c, close),
  );
}

/**
 * @param {import("../types.js").App} app
 * @param {import("../types.js").Json} c the claim's details
 */
function evidenceBlock(app, c) {
  const d = app.detail;
  if (!c.has_evidence) return h("p", { class: "muted", id: "detail-evidence" }, t("detail.noEvidence"));
  if (d.evidence === "erased") return h("p", { class: "muted", id: "detail-evidence" }, t("detail.erased"));
  if (d.evidence === "missing") return h("p", { class: "muted", id: "detail-evidence" }, t("detail.missing"));
  if (d.evidence) {
    return h(
      "div",
      { id: "detail-evidence" },
      d.evidence.text !== null
        ? h("blockquote", { class: "evidence-text" }, d.evidence.text)
        : h("p", {}, t("detail.binary", { type: d.evidence.media_type, size: d.evidence.size })),
      h("p", { class: "small muted" }, c.viewer === "claimant" ? t("detail.ownLogged") : t("detail.logged")),
    );
  }
  return h(
    "div",
    { id: "detail-evidence" },
    h("p", { class: "small muted" }, c.viewer === "claimant" ? t("detail.ownLogged") : t("detail.willLog")),
    h("button", { type: "button", id: "detail-show-evidence", onclick: () => loadEvidence(app) }, t("detail.showEvidence")),
  );
}

/** @param {import("../types.js").App} app */
async function loadEvidence(app) {
  const d = app.detail;
  let evidence;
  try {
    evidence = await app.api.get(`/v1/claims/${d.recordId}/evidence?purpose=confirm`);
  } catch (err) {
    if (statusOf(err) === 410) evidence = "erased";
    else if (statusOf(err) === 404) evidence = "missing";
    else {
      app.fail(err);
      return;
    }
  }
  if (app.detail !== d && !(app.detail && app.detail.recordId === d.recordId)) return; // closed meanwhile
  app.detail.evidence = evidence;
  renderClaimDetail(app);
}

/**
 * @param {import("../types.js").App} app
 * @param {import("../types.js").Json} c the claim's details
 * @param {HTMLElement} close the panel's close button
 */
function actions(app, c, close) {
  const kinds = c.may_confirm_as || [];
  const open = c.status === "waiting";
  /** @type {HTMLButtonElement | null} */
  let confirmButton = null;
  if (kinds.length && open) {
    confirmButton = h("button", {
      type: "button",
      class: "primary",
      id: "detail-confirm",
      onclick: async () => {
        pickKind(kinds);
        if (await app.confirmClaim(c.record_id)) await showClaimDetail(app, c.record_id);
      },
    }, t("detail.confirm"));
  }
  const note = c.viewer === "claimant" ? h("p", { class: "small muted" }, t("detail.yours")) : !open ? h("p", { class: "small muted" }, t("detail.closed")) : null;
  return h("div", { class: "actions" }, confirmButton, close, note);
}

/** @type {Record<string, number>} */
const KIND_NUMBERS = { SUPERIOR: 0, PEER: 1, PUBLIC: 2, EXPERT: 3 };

/**
 * Keep the "Confirm as" choice if this claim accepts it, else take the first kind it accepts.
 * @param {string[]} kinds
 */
function pickKind(kinds) {
  const select = byId("confirm-kind", HTMLSelectElement);
  const accepted = kinds.map((k) => String(KIND_NUMBERS[k]));
  if (accepted.includes(select.value)) return;
  const offered = [...select.options].map((o) => o.value);
  const first = accepted.find((k) => offered.includes(k));
  if (first !== undefined) select.value = first;
}

/** @param {import("../types.js").App} app */
function closeDetail(app) {
  app.detail = null;
  if (linkedClaim()) history.replaceState(null, "", window.location.pathname + window.location.search);
  renderClaimDetail(app);
}
