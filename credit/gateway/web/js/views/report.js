// @ts-check
// Officials report a concern (a violation): what happened is uploaded as evidence, its
// commitment goes into an EIP-712 Report signed in the wallet, POST /v1/reports keeps it until
// evaluators of the other required kinds confirm it. Also: how a report looks in the confirm
// queue, and the warning a resident gets once one is booked.
import { sessionOf, configOf } from "../session.js";
import { all, h, fill, byId } from "../dom.js";
import { t, lang, categoryTitle } from "../i18n.js";
import { day, dayTime, short, ZERO32, pageLink, withLinks } from "../format.js";
import { typedData, OFFICIAL_ROLES } from "../typed.js";

/** @typedef {import("../types.js").Json} Json */

const REPORT_VALID_SECONDS = 14 * 86400; // confirmations may take days; the relay needs time
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** @param {import("../types.js").App} app */
export function isOfficial(app) {
  return app.session !== null && sessionOf(app).roles.some((r) => OFFICIAL_ROLES.includes(r));
}

/** Violation categories (the only ones a report may name). */
export function violations(/** @type {import('../types.js').Config} */ config) {
  return config.rules.categories.filter((/** @type {Json} */ c) => c.negative);
}

function category(/** @type {import('../types.js').Config} */ config, /** @type {number | string} */ id) {
  return config.rules.categories.find((/** @type {Json} */ c) => c.id === Number(id)) || null;
}

/** A category's readable rule text in the current language (its title if it has none). */
export function ruleText(/** @type {import('../types.js').Config} */ config, /** @type {number | string} */ id) {
  const c = category(config, id);
  if (!c) return "";
  const text = c.description || c.title;
  return text[lang()] || text.en;
}

function kinds(/** @type {string[]} */ list) {
  return list.map((/** @type {string} */ k) => t(`kind.${k.toLowerCase()}`)).join(t("list.and"));
}

/**
 * Build the form once (the view is empty in the page), and wire it.
 * @param {import("../types.js").App} app
 */
export function mountReport(app) {
  const section = byId("view-report");
  fill(
    section,
    h("h1", { id: "report-title" }, t("report.title")),
    h("p", { id: "report-intro" }, t("report.intro")),
    h(
      "form",
      { id: "report-form", class: "form", novalidate: true },
      field("report-resident", "report.resident", h("input", {
        id: "report-resident", type: "text", autocomplete: "off", spellcheck: "false",
        placeholder: "0x…", required: true, "aria-describedby": "report-resident-hint",
      }), h("p", { id: "report-resident-hint", class: "hint" })),
      field("report-category", "report.category", h("select", { id: "report-category", required: true }),
        h("blockquote", { id: "report-rule", class: "rule-text", "aria-live": "polite" })),
      field("report-units", "report.units", h("input", {
        id: "report-units", type: "number", inputmode: "numeric", min: "1", step: "1", value: "1", required: true,
        "aria-describedby": "report-units-hint",
      }), h("p", { id: "report-units-hint", class: "hint" })),
      field("report-date", "report.date", h("input", { id: "report-date", type: "date", required: true })),
      field("report-evidence", "report.evidence", h("textarea", { id: "report-evidence", rows: "4", "aria-describedby": "report-evidence-hint" }),
        h("p", { id: "report-evidence-hint", class: "hint" })),
      h("button", { id: "report-submit", type: "submit", class: "primary" }, t("report.submit")),
      h("p", { id: "report-progress", class: "progress", role: "status", "aria-live": "polite" }),
    ),
    h("div", { id: "report-result" }),
  );
  byId("report-category", HTMLSelectElement).addEventListener("change", () => renderHints(app));
  byId("report-form", HTMLFormElement).addEventListener("submit", (event) => {
    event.preventDefault();
    submit(app);
  });
}

/**
 * A labelled form field: the label (translated again on a language switch), the control, hints.
 * @param {string} id the control's id
 * @param {string} labelKey
 * @param {HTMLElement} control
 * @param {...import("../dom.js").Child} extra
 */
function field(id, labelKey, control, ...extra) {
  return h("div", { class: "field" }, h("label", { for: id, dataset: { label: labelKey } }, t(labelKey)), control, extra);
}

/**
 * Texts, categories and hints (again after a language switch).
 * @param {import("../types.js").App} app
 */
export function renderReport(app) {
  if (!app.config || !document.getElementById("report-form")) return;
  byId("report-title").textContent = t("report.title");
  byId("report-intro").textContent = t("report.intro");
  for (const label of all("#report-form label[data-label]")) label.textContent = t(label.dataset.label || "");
  byId("report-submit", HTMLButtonElement).textContent = t("report.submit");
  byId("report-resident-hint").textContent = t("report.residentHint");
  byId("report-evidence-hint").textContent = t("report.evidenceHint");
  const select = byId("report-category", HTMLSelectElement);
  const current = select.value;
  fill(select, violations(app.config).map((/** @type {Json} */ c) => h("option", { value: c.id }, categoryTitle(app.config, c.id))));
  if (current) select.value = current;
  const date = byId("report-date", HTMLInputElement);
  const today = new Date().toISOString().slice(0, 10);
  date.max = today;
  if (!date.value) date.value = today;
  renderHints(app);
  renderResult(app);
}

/** @param {import("../types.js").App} app */
function renderHints(app) {
  const c = category(configOf(app), byId("report-category", HTMLSelectElement).value);
  if (!c) return;
  const unit = c.unit[lang()] || c.unit.en;
  byId("report-rule").textContent = ruleText(configOf(app), c.id);
  byId("report-units", HTMLInputElement).max = String(c.max_units);
  byId("report-units-hint").textContent = t("report.unitsHint", {
    unit, max: c.max_units, points: c.points_per_unit, kinds: kinds(c.confirmation.required_kinds.map((/** @type {string} */ k) => k.toUpperCase())),
  });
}

/**
 * Nothing to load: the form works from /v1/config.
 * @param {import("../types.js").App} app
 */
export async function loadReport(app) {
  renderReport(app);
}

/** @param {import("../types.js").App} app */
function problem(app) {
  const resident = byId("report-resident", HTMLInputElement).value.trim();
  const c = category(configOf(app), byId("report-category", HTMLSelectElement).value);
  const units = Number(byId("report-units", HTMLInputElement).value);
  if (!ADDRESS.test(resident)) return ["report-resident", t("report.badResident")];
  if (resident.toLowerCase() === sessionOf(app).address.toLowerCase()) return ["report-resident", t("report.notYourself")];
  if (!c) return ["report-category", t("report.pickCategory")];
  if (!Number.isInteger(units) || units < 1 || units > c.max_units) return ["report-units", t("report.badUnits", { max: c.max_units })];
  if (!byId("report-date", HTMLInputElement).value) return ["report-date", t("report.pickDate")];
  return null;
}

/** @param {import("../types.js").App} app */
async function submit(app) {
  const progress = byId("report-progress");
  const wrong = problem(app);
  if (wrong) {
    progress.textContent = wrong[1];
    byId(wrong[0]).focus();
    return;
  }
  const button = byId("report-submit", HTMLButtonElement);
  button.disabled = true;
  try {
    const status = await send(app, progress);
    if (status) {
      app.lastReport = status;
      byId("report-form", HTMLFormElement).reset();
      renderReport(app);
      byId("report-received").focus();
    }
  } catch (err) {
    progress.textContent = "";
    app.fail(err);
  } finally {
    button.disabled = false;
  }
}

/** @param {import("../types.js").App} app */
async function send(app, /** @type {HTMLElement} */ progress) {
  const reporter = sessionOf(app).address;
  const resident = byId("report-resident", HTMLInputElement).value.trim();
  const categoryId = Number(byId("report-category", HTMLSelectElement).value);
  const units = Number(byId("report-units", HTMLInputElement).value);
  const text = byId("report-evidence", HTMLTextAreaElement).value.trim();
  let evidence = ZERO32;
  if (text) {
    progress.textContent = t("claim.uploading");
    const stored = await app.api.request("POST", "/v1/evidence", { body: text, contentType: "text/plain; charset=utf-8" });
    evidence = stored.commitment;
  }
  const { chain_time: now } = await app.api.get(`/v1/residents/${reporter}/nonces`);
  const [y, m, d] = byId("report-date", HTMLInputElement).value.split("-").map(Number);
  const occurredAt = Math.max(0, Math.min(Date.UTC(y, m - 1, d, 12) / 1000, now - 60));
  // any number: it only tells apart two otherwise identical reports of one official
  const nonce = crypto.getRandomValues(new Uint32Array(1))[0];
  const message = { reporter, resident, category: categoryId, units, occurredAt, evidence, nonce, deadline: now + REPORT_VALID_SECONDS };
  progress.textContent = t("progress.wallet");
  const signature = await app.signData(typedData(configOf(app), "Report", message));
  if (!signature) {
    progress.textContent = "";
    return null;
  }
  progress.textContent = t("progress.sending");
  const status = await app.api.post("/v1/reports", {
    reporter, resident, category: categoryId, units, occurred_at: occurredAt, evidence, nonce, deadline: message.deadline, signature,
  });
  progress.textContent = "";
  return status;
}

/**
 * "Report received: waiting for confirmation by …" for the last report sent from this page.
 * @param {import("../types.js").App} app
 */
function renderResult(app) {
  const s = app.lastReport;
  if (!s) return;
  const k = s.confirmations;
  const missing = k ? k.needed.kinds.filter((/** @type {Json} */ x) => !k.kinds.includes(x)) : [];
  fill(
    byId("report-result"),
    h(
      "div",
      { class: "card result", id: "report-received", tabindex: "-1", dataset: { record: s.record_id, status: s.status } },
      h("h2", {}, t("report.received")),
      h("p", {}, withLinks(t("report.about", { category: categoryTitle(app.config, s.category), units: s.units, resident: short(s.resident, 8), date: day(s.occurred_at) }), [["address", s.resident]])),
      h("p", { id: "report-waiting" }, missing.length ? t("report.waitingFor", { kinds: kinds(missing) }) : t("report.quorumMet")),
      h("p", { class: "small muted" }, t("claim.recordId"), " ", h("code", { class: "hash" }, s.record_id)),
    ),
  );
}

/**
 * The heading of a queue item: a report of a concern names its rule, a claim its activity.
 * @param {import("../types.js").App} app
 */
export function queueTitle(app, /** @type {Json} */ c) {
  const title = `${categoryTitle(app.config, c.category)} × ${c.units}`;
  return c.reporter ? t("report.queueTitle", { title }) : title;
}

/**
 * More of a report in the queue: the rule's text.
 * @param {import("../types.js").App} app
 */
export function queueReport(app, /** @type {Json} */ c) {
  return c.reporter ? h("blockquote", { class: "rule-text" }, ruleText(configOf(app), c.category)) : null;
}

/**
 * Who reported whom, and when it happened (null for a claim: its resident did it).
 * @param {import("../types.js").App} app
 */
export function queueBy(app, /** @type {Json} */ c) {
  if (!c.reporter) return null;
  return t("report.reportedBy", { reporter: short(c.reporter, 8), resident: short(c.resident, 8), date: day(c.occurred_at) });
}

/** A booked violation's warning, spelled out: the rule's title and text, the version, the
 *  record and its evidence fingerprint, the transaction, the points and the appeal deadline.
 * @param {import("../types.js").App} app
 */
export function warningDetails(app, /** @type {Json} */ n) {
  const d = n.data || {};
  if (!d.rule_text) return null;
  const pick = (/** @type {Json} */ x) => x[lang()] || x.en;
  const row = (/** @type {string} */ key, /** @type {import('../dom.js').Child} */ value) => [h("dt", {}, t(key)), h("dd", {}, value)];
  const evidence = h("dd", { class: "evidence-ref" }, "–");
  showEvidence(app, d.record_id, evidence);
  return h(
    "div",
    { class: "warning-rule" },
    h("h3", { class: "rule-title" }, pick(d.title)),
    h("blockquote", { class: "rule-text" }, pick(d.rule_text)),
    h(
      "dl",
      { class: "facts" },
      row("warning.version", pageLink("rules", d.rule_version, { text: t("warning.versionValue", { version: d.rule_version }) })),
      row("warning.points", t("warning.pointsValue", { points: d.deducted })),
      row("warning.record", pageLink("record", d.record_id)),
      [h("dt", {}, t("warning.evidence")), evidence],
      row("warning.tx", pageLink("tx", d.tx_hash)),
      row("warning.deadline", dayTime(d.appeal_deadline)),
    ),
    n.appeal && n.appeal.record_ids && n.appeal.record_ids.length ? h("p", { class: "next" }, t("warning.next")) : null,
  );
}

/** The fingerprint of the evidence the report was signed with, as the relay received it (the
 *  resident reads their own records); kept per page, since it never changes.
 * @param {import("../types.js").App} app
 */
function showEvidence(app, /** @type {string} */ recordId, /** @type {HTMLElement} */ cell) {
  app.reportEvidence = app.reportEvidence || new Map();
  const draw = (/** @type {string | null | undefined} */ value) => {
    if (value === undefined) return;
    fill(cell, value && value !== ZERO32 ? h("code", { class: "hash", title: value }, short(value, 10)) : t("warning.noEvidence"));
  };
  if (app.reportEvidence.has(recordId)) {
    draw(app.reportEvidence.get(recordId));
    return;
  }
  app.api
    .get(`/v1/claims/${recordId}`)
    .then((status) => {
      app.reportEvidence.set(recordId, status.evidence);
      draw(status.evidence);
    })
    .catch(() => {}); // reported through another gateway: the record and transaction remain
}
