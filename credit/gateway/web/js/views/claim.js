// @ts-check
// Submitting a claim: optional evidence first (its commitment is signed), then the EIP-712 Claim.
import { sessionOf, configOf } from "../session.js";
import { ApiProblem } from "../api.js";
import { h, fill, byId } from "../dom.js";
import { t, lang, categoryTitle } from "../i18n.js";
import { ZERO32 } from "../format.js";
import { typedData } from "../typed.js";
import { shareCard } from "./share.js";

const CLAIM_VALID_SECONDS = 14 * 86400; // confirmations may take days; the relay needs time

/**
 * Participation categories a resident may claim (not violations, not automated).
 * @param {import("../types.js").Config} config
 * @returns {any[]}
 */
export function claimable(config) {
  return config.rules.categories.filter((c) => !c.negative && !c.automated);
}

/**
 * Fill the category list and hints (again after a language switch).
 * @param {import("../types.js").App} app
 */
export function renderClaimForm(app) {
  const select = byId("claim-category", HTMLSelectElement);
  const current = select.value;
  fill(select, claimable(configOf(app)).map((c) => h("option", { value: c.id }, categoryTitle(app.config, c.id))));
  if (current) select.value = current;
  const today = new Date().toISOString().slice(0, 10);
  const date = byId("claim-date", HTMLInputElement);
  date.max = today;
  if (!date.value) date.value = today;
  updateHints(app);
  renderClaimResult(app);
}

/**
 * The "claim received" card of the last claim sent from this page, with its live status.
 * @param {import("../types.js").App} app
 */
function renderClaimResult(app) {
  if (!app.lastClaim) return;
  fill(
    byId("claim-result"),
    h(
      "div",
      { class: "card result", id: "claim-received", tabindex: "-1" },
      h("h2", {}, t("claim.received")),
      h("p", {}, t("claim.share")),
      h("p", {}, h("code", { class: "hash", id: "claim-record-id" }, app.lastClaim)),
      shareCard(app, app.lastClaim),
      h("div", { "data-claims": app.lastClaim }),
    ),
  );
  if (app.tracker) app.tracker.render();
}

/** @param {import("../types.js").App} app */
function updateHints(app) {
  const c = configOf(app).rules.categories.find((x) => String(x.id) === byId("claim-category", HTMLSelectElement).value);
  if (!c) return;
  const unit = c.unit[lang()] || c.unit.en;
  byId("claim-units", HTMLInputElement).max = String(c.max_units);
  byId("claim-units-hint").textContent = t("claim.unitsHint", { unit, max: c.max_units });
  const parts = [t("claim.rate", { points: c.points_per_unit, unit })];
  if (c.cap_per_epoch) parts.push(t("claim.cap", { cap: c.cap_per_epoch }));
  const needs = c.confirmation;
  parts.push(t("claim.needs", { count: needs.min_confirmations, weight: needs.threshold }));
  if (needs.required_kinds.length) {
    parts.push(t("claim.requires", { kinds: needs.required_kinds.map((/** @type {string} */ k) => t(`kind.${k}`)).join(t("list.and")) }));
  }
  byId("claim-category-hint").textContent = parts.join(lang() === "zh" ? "" : " ");
}

/**
 * Wire the form once.
 * @param {import("../types.js").App} app
 */
export function mountClaim(app) {
  byId("claim-category", HTMLSelectElement).addEventListener("change", () => updateHints(app));
  byId("claim-form", HTMLFormElement).addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("claim-submit", HTMLButtonElement);
    if (button.disabled) return; // a second press while the first is on its way
    const progress = byId("claim-progress");
    const problem = validate(app);
    if (problem) {
      progress.textContent = problem;
      return;
    }
    button.disabled = true;
    try {
      const status = await submitClaim(app, progress);
      if (status) {
        app.lastClaim = status.record_id;
        if (app.tracker) app.tracker.add(status);
        byId("claim-form", HTMLFormElement).reset(); // sent: the form is ready for another activity
        byId("claim-date", HTMLInputElement).value = "";
        renderClaimForm(app);
        byId("claim-received").focus();
      }
    } catch (err) {
      progress.textContent = "";
      if (err instanceof ApiProblem && err.code === "claim_already_waiting") app.say(() => t("mine.alreadyWaiting"), "info");
      else app.fail(err);
    } finally {
      button.disabled = false;
    }
  });
}

/** @param {import("../types.js").App} app */
function validate(app) {
  const c = configOf(app).rules.categories.find((x) => String(x.id) === byId("claim-category", HTMLSelectElement).value);
  const units = Number(byId("claim-units", HTMLInputElement).value);
  if (!c) return t("claim.pickCategory");
  if (!Number.isInteger(units) || units < 1 || units > c.max_units) {
    return t("claim.badUnits", { max: c.max_units });
  }
  if (!byId("claim-date", HTMLInputElement).value) return t("claim.pickDate");
  return null;
}

/**
 * @param {import("../types.js").App} app
 * @param {HTMLElement} progress where the steps are told
 */
async function submitClaim(app, progress) {
  const address = sessionOf(app).address;
  const category = Number(byId("claim-category", HTMLSelectElement).value);
  const units = Number(byId("claim-units", HTMLInputElement).value);
  const text = byId("claim-evidence", HTMLTextAreaElement).value.trim();
  let evidence = ZERO32;
  if (text) {
    progress.textContent = t("claim.uploading");
    const stored = await app.api.request("POST", "/v1/evidence", {
      body: text,
      contentType: "text/plain; charset=utf-8",
    });
    evidence = stored.commitment;
  }
  const nonces = await app.api.get(`/v1/residents/${address}/nonces`);
  // noon UTC of the chosen day, but never after the chain's clock (then the hour before it,
  // not the minute: the same activity sent twice signs the same time, and the gateway refuses
  // the second one while the first waits)
  const [y, m, d] = byId("claim-date", HTMLInputElement).value.split("-").map(Number);
  const latest = Math.floor((nonces.chain_time - 60) / 3600) * 3600;
  const occurredAt = Math.max(0, Math.min(Date.UTC(y, m - 1, d, 12) / 1000, latest));
  const message = {
    resident: address,
    category,
    units,
    occurredAt,
    evidence,
    nonce: nonces.claim_nonce,
    deadline: nonces.chain_time + CLAIM_VALID_SECONDS,
  };
  progress.textContent = t("progress.wallet");
  const signature = await app.signData(typedData(configOf(app), "Claim", message));
  if (!signature) {
    progress.textContent = "";
    return null;
  }
  progress.textContent = t("progress.sending");
  const status = await app.api.post("/v1/claims", {
    resident: address,
    category,
    units,
    occurred_at: occurredAt,
    evidence,
    nonce: message.nonce,
    deadline: message.deadline,
    signature,
  });
  progress.textContent = "";
  return status;
}
