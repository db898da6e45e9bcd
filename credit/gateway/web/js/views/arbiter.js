// @ts-check
// Arbiters' inbox: each open appeal with its report, rule, confirmations by kind, evidence and the
// resident's statement. "Uphold" / "Overturn" need a written reasoning: it is stored as evidence,
// its fingerprint is signed (EIP-712 Decision with the account nonce) and the gateway relays it.
import { sessionOf, configOf } from "../session.js";
import { h, fill, byId } from "../dom.js";
import { t, lang, categoryTitle } from "../i18n.js";
import { day, dayTime, short, pageLink } from "../format.js";
import { typedData } from "../typed.js";

const DECISION_DEADLINE_SECONDS = 3600; // how long the signature stays valid
const REASONING_MAX = 4000; // bytes the gateway keeps of a reasoning (UTF-8)
/** @type {Record<string, string>} */
const KIND_ROLE = { superior: "SUPERIOR", public: "PUBLIC_PANEL", expert: "EXPERT", peer: "RESIDENT" };

/**
 * Fetch the open appeals and draw the inbox (never under a decision being signed).
 * @param {import("../types.js").App} app
 */
export async function loadInbox(app) {
  const out = await app.api.get("/v1/appeals?status=open");
  app.inbox = out.appeals.filter((/** @type {import("../types.js").Json} */ a) => !(app.decided || new Set()).has(a.record_id));
  if (!app.deciding) renderInbox(app);
}

/**
 * Draw the inbox from the appeals already loaded (also after a language switch).
 * @param {import("../types.js").App} app
 */
export function renderInbox(app) {
  if (!app.inbox) return;
  app.drafts = app.drafts || new Map();
  const box = byId("inbox");
  fill(
    box,
    app.inbox.length
      ? app.inbox.map((/** @type {import("../types.js").Json} */ a, /** @type {number} */ i) => appealCard(app, a, i))
      : h("p", { class: "muted" }, t("arbiter.none")),
  );
}

/** @param {string} kind */
function kindName(kind) {
  return t(`role.${KIND_ROLE[kind] || kind}`);
}

/**
 * @param {import("../types.js").App} app
 * @param {import("../types.js").Json} report
 */
function ruleTitle(app, report) {
  const own = report.rule_title && (report.rule_title[lang()] || report.rule_title.en);
  return own || categoryTitle(app.config, report.category);
}

/**
 * @param {string} label
 * @param {...import("../dom.js").Child} value
 */
function fact(label, ...value) {
  return [h("dt", {}, label), h("dd", {}, ...value)];
}

/**
 * @param {{text: string, erased?: boolean} | null} item
 * @param {string} missing what to say when there is none
 */
function textBlock(item, missing) {
  if (!item) return h("p", { class: "muted" }, missing);
  if (item.erased) return h("p", { class: "muted" }, t("arbiter.erased"));
  return h("blockquote", { class: "statement", lang: lang() === "zh" ? "zh-Hans" : "en" }, item.text);
}

/**
 * @param {import("../types.js").App} app
 * @param {import("../types.js").Json} a an open appeal of the inbox
 * @param {number} i its place (for unique ids)
 */
function appealCard(app, a, i) {
  const r = a.report;
  const titleId = `appeal-${i}-title`;
  const reasonId = `appeal-${i}-reason`;
  const kinds = Object.entries(a.confirmations_by_kind || {}).map(([k, n]) => `${kindName(k)} × ${n}`);
  const reporterKinds = (r.reporter_kinds || []).map(kindName).join(", ");
  const progress = h("p", { class: "progress", role: "status", "aria-live": "polite" });
  const reason = h("textarea", {
    id: reasonId,
    rows: 4,
    required: true,
    maxlength: REASONING_MAX,
    "aria-describedby": `${reasonId}-hint`,
  });
  reason.value = app.drafts.get(a.record_id) || "";
  reason.addEventListener("input", () => app.drafts.set(a.record_id, reason.value));
  const uphold = h("button", { type: "button", class: "secondary", dataset: { decision: "uphold" } }, t("arbiter.uphold"));
  const overturn = h("button", { type: "button", class: "primary", dataset: { decision: "overturn" } }, t("arbiter.overturn"));
  const card = h(
    "article",
    { class: "card appeal-card", "aria-labelledby": titleId, dataset: { record: a.record_id } },
    h("h2", { id: titleId }, `${ruleTitle(app, r)} × ${r.units}`),
    h(
      "dl",
      { class: "facts" },
      fact(t("arbiter.resident"), pageLink("address", a.resident)),
      fact(t("arbiter.occurred"), r.occurred_at ? day(r.occurred_at) : "–"),
      fact(t("arbiter.points"), t("arbiter.pointsValue", { points: r.points, deducted: r.deducted })),
      fact(t("arbiter.rule"), t("arbiter.ruleValue", { version: r.rule_version })),
      fact(
        t("arbiter.reporter"),
        r.reporter ? pageLink("address", r.reporter) : "–",
        reporterKinds ? ` (${reporterKinds})` : "",
      ),
      fact(t("arbiter.confirmed"), kinds.length ? kinds.join(", ") : t("arbiter.noConfirmations")),
      fact(t("arbiter.evidence"), evidenceRef(app, r)),
      fact(t("arbiter.appealed"), a.appeal ? dayTime(a.appeal.appealed_at) : "–"),
      fact(t("arbiter.window"), dayTime(a.appeal_deadline)),
    ),
    h("h3", {}, t("arbiter.statement")),
    textBlock(a.appeal && a.appeal.statement, t("arbiter.noStatement")),
    a.appeal && a.appeal.evidence ? [h("h3", {}, t("arbiter.residentEvidence")), textBlock(a.appeal.evidence, "")] : null,
    h(
      "div",
      { class: "field" },
      h("label", { for: reasonId }, t("arbiter.reasoning")),
      reason,
      h("p", { class: "hint", id: `${reasonId}-hint` }, t("arbiter.reasoningHint")),
    ),
    h("div", { class: "actions" }, overturn, uphold),
    progress,
  );
  const decide = async (/** @type {boolean} */ flip) => {
    const text = reason.value.trim();
    if (!text) {
      progress.textContent = t("arbiter.needReasoning");
      reason.focus();
      return;
    }
    uphold.disabled = overturn.disabled = true;
    app.deciding = true;
    try {
      const out = await sendDecision(app, a.record_id, flip, text, progress);
      if (out) {
        app.decided = app.decided || new Set();
        app.decided.add(a.record_id);
        app.drafts.delete(a.record_id);
        app.inbox = app.inbox.filter((/** @type {import("../types.js").Json} */ x) => x.record_id !== a.record_id);
        app.deciding = false;
        renderInbox(app);
        app.say(() => t(flip ? "arbiter.overturned" : "arbiter.upheld", { tx: out.tx_hash }), "success");
        byId("inbox-title").focus();
      }
    } catch (err) {
      progress.textContent = "";
      app.fail(err);
    } finally {
      app.deciding = false;
      uphold.disabled = overturn.disabled = false;
    }
  };
  uphold.addEventListener("click", () => decide(false));
  overturn.addEventListener("click", () => decide(true));
  return card;
}

/**
 * The report's evidence: a button to read it when this gateway holds it, else its fingerprint.
 * @param {import("../types.js").App} app
 * @param {import("../types.js").Json} r the report
 */
function evidenceRef(app, r) {
  if (!r.evidence || /^0x0*$/.test(r.evidence)) return t("arbiter.noEvidence");
  if (!r.evidence_id) return [t("arbiter.evidenceElsewhere"), " ", h("code", { class: "hash", title: r.evidence }, short(r.evidence, 8))];
  const shown = h("div", { class: "evidence-content" });
  const open = h("button", { type: "button", class: "ghost" }, t("arbiter.showEvidence"));
  open.addEventListener("click", async () => {
    try {
      const res = await fetch(`/v1/evidence/${r.evidence_id}/content`, {
        headers: { Authorization: `Bearer ${app.api.token}` },
      });
      if (!res.ok) throw Object.assign(new Error((await res.json()).error.message), { status: res.status });
      const type = res.headers.get("content-type") || "";
      if (type.startsWith("text/")) fill(shown, h("pre", {}, await res.text()));
      else if (type.startsWith("image/")) fill(shown, h("img", { src: URL.createObjectURL(await res.blob()), alt: t("arbiter.evidence") }));
      else fill(shown, h("a", { href: URL.createObjectURL(await res.blob()), download: r.evidence_id }, t("arbiter.download")));
      open.hidden = true;
    } catch (err) {
      app.fail(err);
    }
  });
  return [open, shown];
}

/**
 * @param {import("../types.js").App} app
 * @param {string} recordId
 * @param {boolean} overturn
 * @param {string} reasoning
 * @param {HTMLElement} progress
 */
async function sendDecision(app, recordId, overturn, reasoning, progress) {
  const address = sessionOf(app).address;
  progress.textContent = t("arbiter.storing");
  const stored = await app.api.request("POST", "/v1/evidence", {
    body: reasoning,
    contentType: "text/plain; charset=utf-8",
  });
  const nonces = await app.api.get(`/v1/residents/${address}/nonces`);
  const message = {
    recordId,
    overturn,
    reason: stored.commitment,
    nonce: nonces.account_nonce,
    deadline: nonces.chain_time + DECISION_DEADLINE_SECONDS,
  };
  progress.textContent = t("progress.wallet");
  const signature = await app.signData(typedData(configOf(app), "Decision", message));
  if (!signature) {
    progress.textContent = "";
    return null;
  }
  progress.textContent = t("progress.sending");
  const out = await app.api.post(`/v1/appeals/${recordId}/decision`, {
    overturn,
    reason: stored.commitment,
    reasoning_id: stored.id,
    nonce: message.nonce,
    deadline: message.deadline,
    signature,
  });
  progress.textContent = "";
  return out;
}
