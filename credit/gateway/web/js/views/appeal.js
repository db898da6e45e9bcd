// @ts-check
// Appealing a violation: the statement (and optional evidence text) is stored as evidence, its
// commitment is signed (EIP-712 Appeal with the account nonce) and the gateway relays it to the
// ledger. Then the outcome: the arbiter's decision and reasoning next to the resident's statement.
import { sessionOf, configOf } from "../session.js";
import { statusOf } from "../api.js";
import { h, fill, byId } from "../dom.js";
import { t, lang, categoryTitle } from "../i18n.js";
import { day, dayTime, short, pageLink } from "../format.js";
import { typedData } from "../typed.js";

const APPEAL_DEADLINE_SECONDS = 3600; // how long the signature stays valid

/**
 * The records of notice ``n`` that can still be appealed (recorded, window open).
 * @param {import("../types.js").App} app
 * @param {import("../types.js").Json} n a notice offering an appeal
 * @returns {import("../types.js").Json[]}
 */
function appealable(app, n) {
  /** @type {Map<string, import("../types.js").Json>} */
  const byId = new Map((app.summary.records || []).map((/** @type {import("../types.js").Json} */ r) => [r.record_id, r]));
  return (n.appeal.record_ids || [])
    .map((/** @type {string} */ id) => byId.get(id))
    .filter((/** @type {import("../types.js").Json | undefined} */ r) => r && r.kind === "violation" && r.status === "recorded" && r.appeal_deadline > app.summary.as_of_time);
}

/**
 * The (hidden) appeal form of notice ``n``.
 * @param {import("../types.js").App} app
 * @param {import("../types.js").Json} n
 * @param {string} i the notice card's id (for the form's own ids)
 */
export function appealForm(app, n, i) {
  const records = appealable(app, n);
  const selectId = `appeal-record-${i}`;
  const textId = `appeal-statement-${i}`;
  const progress = h("p", { class: "progress", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "appeal-form form", hidden: true, novalidate: true });
  if (!records.length) {
    form.append(h("p", { class: "muted" }, t("appeal.nothing")));
    return form;
  }
  const select = h(
    "select",
    { id: selectId, required: true },
    records.map((r) =>
      h("option", { value: r.record_id }, `${categoryTitle(app.config, r.category)} · ${day(r.block_time)} · −${r.deducted} · ${short(r.record_id, 8)}`),
    ),
  );
  const text = h("textarea", { id: textId, rows: 3, required: true, maxlength: 4000, "aria-describedby": `${textId}-hint` });
  const extraId = `appeal-evidence-${i}`;
  const extra = h("textarea", { id: extraId, rows: 2, maxlength: 4000, "aria-describedby": `${extraId}-hint` });
  const submit = h("button", { type: "submit", class: "primary" }, t("appeal.submit"));
  const cancel = h("button", { type: "button", class: "ghost" }, t("appeal.cancel"));
  cancel.addEventListener("click", () => {
    form.hidden = true;
  });
  form.append(
    h("div", { class: "field" }, h("label", { for: selectId }, t("appeal.record")), select),
    h("p", { class: "small" }, t("appeal.deadline", { date: dayTime(records[0].appeal_deadline) })),
    h(
      "div",
      { class: "field" },
      h("label", { for: textId }, t("appeal.statement")),
      text,
      h("p", { class: "hint", id: `${textId}-hint` }, t("appeal.statementHint")),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: extraId }, t("appeal.evidence")),
      extra,
      h("p", { class: "hint", id: `${extraId}-hint` }, t("appeal.evidenceHint")),
    ),
    h("div", { class: "actions" }, submit, cancel),
    progress,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const statement = text.value.trim();
    if (!statement) {
      progress.textContent = t("appeal.needStatement");
      text.focus();
      return;
    }
    submit.disabled = true;
    try {
      const result = await fileAppeal(app, select.value, statement, extra.value.trim(), progress);
      if (result) {
        form.hidden = true;
        app.say(() => t("appeal.filed", { tx: result.tx_hash }), "success");
        app.refreshSoon(0);
      }
    } catch (err) {
      progress.textContent = "";
      app.fail(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/**
 * @param {import("../types.js").App} app
 * @param {string} recordId
 * @param {string} statement
 * @param {string} extraText evidence text, "" for none
 * @param {HTMLElement} progress
 */
async function fileAppeal(app, recordId, statement, extraText, progress) {
  const address = sessionOf(app).address;
  progress.textContent = t("appeal.storing");
  const store = (/** @type {string} */ body) => app.api.request("POST", "/v1/evidence", { body, contentType: "text/plain; charset=utf-8" });
  const evidence = await store(statement);
  const extra = extraText ? await store(extraText) : null;
  const nonces = await app.api.get(`/v1/residents/${address}/nonces`);
  const message = {
    recordId,
    statement: evidence.commitment,
    nonce: nonces.account_nonce,
    deadline: nonces.chain_time + APPEAL_DEADLINE_SECONDS,
  };
  progress.textContent = t("progress.wallet");
  const signature = await app.signData(typedData(configOf(app), "Appeal", message));
  if (!signature) {
    progress.textContent = "";
    return null;
  }
  progress.textContent = t("progress.sending");
  const out = await app.api.post("/v1/appeals", {
    record_id: recordId,
    statement: message.statement,
    evidence_id: extra ? extra.id : null,
    nonce: message.nonce,
    deadline: message.deadline,
    signature,
  });
  progress.textContent = "";
  return out;
}

// ------------------------------------------------------------------ outcomes
const DECIDED = new Set(["appealed", "upheld", "overturned"]);

/**
 * Fetch the appeal of each of the resident's appealed violations (again when its status moved).
 * @param {import("../types.js").App} app
 */
export async function loadOutcomes(app) {
  app.outcomes = app.outcomes || new Map();
  /** @type {import("../types.js").Json[]} */
  const records = (app.summary && app.summary.records) || [];
  const wanted = records.filter((r) => r.kind === "violation" && DECIDED.has(r.status));
  await Promise.all(
    wanted.map(async (r) => {
      const known = app.outcomes.get(r.record_id);
      if (known && known.seenStatus === r.status) return;
      try {
        const view = await app.api.get(`/v1/appeals/${r.record_id}`);
        app.outcomes.set(r.record_id, { seenStatus: r.status, view });
      } catch (err) {
        if (statusOf(err) !== 404) throw err; // 404: the index has not caught up yet
      }
    }),
  );
}

/**
 * Draw "My appeals": each appeal's outcome, the arbiter's reasoning and the resident's statement.
 * @param {import("../types.js").App} app
 */
export function renderOutcomes(app) {
  const section = byId("outcomes-section");
  const views = [...((app.outcomes && app.outcomes.values()) || [])].map((o) => o.view);
  section.hidden = !views.length;
  fill(byId("outcomes"), views.map((v) => outcomeCard(app, v)));
}

/** @param {{text: string, erased?: boolean} | null} item */
function quote(item) {
  if (!item) return null;
  if (item.erased) return h("p", { class: "muted" }, t("outcome.erased"));
  return h("blockquote", { class: "statement", lang: lang() === "zh" ? "zh-Hans" : "en" }, item.text);
}

/**
 * @param {import("../types.js").App} app
 * @param {import("../types.js").Json} v the appeal (GET /v1/appeals/{record id})
 */
function outcomeCard(app, v) {
  const d = v.decision;
  const status = v.status === "open" ? "appealed" : v.status;
  const headline = /** @type {Record<string, string>} */ ({
    appealed: t("outcome.waiting"),
    upheld: t("outcome.upheld", { points: v.report.deducted }),
    overturned: t("outcome.overturned", { points: d ? d.restored : v.report.deducted }),
  })[status];
  return h(
    "article",
    { class: `card outcome outcome-${status}`, dataset: { record: v.record_id, status } },
    h("h3", {}, `${categoryTitle(app.config, v.report.category)} × ${v.report.units} · ${t(`violation.${status}`)}`),
    h("p", { class: "outcome-headline" }, headline),
    h("p", { class: "small" }, pageLink("record", v.record_id, { text: t("pub.publicPage") })),
    d ? h("p", { class: "small" }, t("outcome.decidedOn", { date: dayTime(d.decided_at) })) : null,
    d ? h("h4", {}, t("outcome.reasoning")) : null,
    d ? quote(d.reasoning) || h("p", { class: "muted" }, t("outcome.noReasoning")) : null,
    v.appeal && v.appeal.statement ? [h("h4", {}, t("outcome.statement")), quote(v.appeal.statement)] : null,
    v.appeal && v.appeal.evidence ? [h("h4", {}, t("outcome.evidence")), quote(v.appeal.evidence)] : null,
  );
}
