// @ts-check
// A resident's home: credit and its expiry, the chart, notices (with appeals), records.
import { sessionOf, configOf } from "../session.js";
import { h, fill, byId } from "../dom.js";
import { t, lang, categoryTitle } from "../i18n.js";
import { day, dayTime, short, epochStart, pageLink } from "../format.js";
import { creditSeries, creditChart } from "../chart.js";
import { warningDetails } from "./report.js";
import { appealForm, loadOutcomes, renderOutcomes } from "./appeal.js";

/** @typedef {import("../types.js").Json} Json */

/**
 * Fetch the summary and notices, then draw the home view.
 * @param {import("../types.js").App} app
 */
export async function loadHome(app) {
  const base = `/v1/residents/${sessionOf(app).address}`;
  const [summary, notices] = await Promise.all([
    app.api.get(base),
    app.api.get(`${base}/notices`).catch((err) => {
      if (err.status === 503) return { notices: [], unavailable: err.message };
      throw err;
    }),
  ]);
  const changed = JSON.stringify(notices.notices) !== JSON.stringify(app.notices);
  app.summary = summary;
  app.notices = notices.notices;
  app.noticesUnavailable = notices.unavailable || null;
  await loadOutcomes(app);
  renderHome(app, { notices: changed });
}

/**
 * Draw the home view from the data already loaded (also after a language switch).
 * @param {import("../types.js").App} app
 */
export function renderHome(app, { notices = true } = {}) {
  const s = app.summary;
  if (!s) return;
  renderCredit(app, s);
  const series = creditSeries(s);
  fill(
    byId("chart"),
    creditChart(series, s.as_of_time, {
      title: t("chart.title"),
      empty: t("chart.empty"),
      describe: (n, v, d) => t("chart.describe", { count: n, value: v, date: d }),
    }, byId("chart").clientWidth || 640),
  );
  // never redraw under a half-written appeal
  if (notices && !document.querySelector(".appeal-form:not([hidden])")) renderNotices(app);
  renderRecords(app, s);
  renderOutcomes(app);
  if (app.tracker) app.tracker.render();
}

/** @param {import("../types.js").App} app */
function renderCredit(app, /** @type {Json} */ s) {
  byId("credit-value").textContent = String(s.credit);
  const expiry = byId("credit-expiry");
  if (s.credit > 0 && s.expires_after_epoch > 0) {
    const when = epochStart(configOf(app), s.expires_after_epoch + 1);
    expiry.textContent = t("home.expires", { points: s.credit, date: day(when) });
    expiry.className = when - s.as_of_time < 3 * configOf(app).epoch.length_seconds ? "warn" : "";
  } else if (s.lapsed) {
    expiry.textContent = t("home.lapsed", { points: s.raw_balance });
    expiry.className = "warn";
  } else {
    expiry.textContent = s.registered ? t("home.noExpiry") : t("home.notResident");
    expiry.className = "";
  }
  const start = epochStart(configOf(app), s.epoch);
  byId("credit-period").textContent = t("home.period", {
    epoch: s.epoch,
    start: day(start),
    end: day(start + configOf(app).epoch.length_seconds - 1),
  });
}

/** @param {import("../types.js").App} app */
function renderNotices(app) {
  noticeList(app, byId("notices"), app.notices, app.noticesUnavailable, "notice", () => renderNotices(app));
}

/**
 * Draw ``notices`` (warnings first, newest first) into ``box``; ``redraw`` after an ack.
 * @param {import("../types.js").App} app
 */
export function noticeList(app, /** @type {HTMLElement} */ box, /** @type {Json[] | null} */ notices, /** @type {string | null} */ unavailable, /** @type {string} */ prefix, /** @type {() => void} */ redraw) {
  if (unavailable) {
    fill(box, h("p", { class: "notice-box" }, t("notices.unavailable")));
    return;
  }
  const list = [...(notices || [])].sort(
    (a, b) => (a.kind === "warning" ? 0 : 1) - (b.kind === "warning" ? 0 : 1) || b.created_at - a.created_at,
  );
  fill(box, list.length ? list.map((n, i) => noticeCard(app, n, `${prefix}-${i}`, redraw)) : h("p", { class: "muted" }, t("notices.none")));
}

/** @param {import("../types.js").App} app */
function noticeCard(app, /** @type {Json} */ n, /** @type {string} */ i, /** @type {() => void} */ redraw) {
  const titleId = `${i}-title`;
  // a rejected claim never reaches the ledger: its notice lists no evidence (a claim still
  // held, waiting for confirmations, is listed as held)
  const rejected = Boolean(n.data && n.data.rejected_at);
  const evidence = (n.evidence || []).filter((/** @type {Json} */ e) => e.tx_hash || !rejected).map((/** @type {Json} */ e) =>
    h(
      "li",
      {},
      e.record_id ? [t("notice.record"), " ", e.tx_hash ? pageLink("record", e.record_id) : h("code", { class: "hash", title: e.record_id }, short(e.record_id, 10)), " · "] : null,
      // a claim the service holds until enough people confirm it has no transaction yet
      e.tx_hash
        ? [t("notice.tx"), " ", txRef(app, e.tx_hash), " · ", t("notice.block", { block: e.block_number })]
        : t("notice.held"),
    ),
  );
  const actions = h("div", { class: "actions" });
  const card = h(
    "article",
    {
      class: `notice notice-${n.kind} severity-${n.severity}${n.acknowledged ? " read" : ""}`,
      "aria-labelledby": titleId,
      dataset: { rule: n.rule_id, kind: n.kind },
    },
    h(
      "header",
      {},
      h("span", { class: `badge badge-${n.kind}`, id: titleId }, t(`notice.kind.${n.kind}`)),
      n.acknowledged ? h("span", { class: "pill" }, t("notice.read")) : null,
    ),
    h("p", { class: "message", lang: lang() === "zh" ? "zh-Hans" : "en" }, n.message[lang()] || n.message.en),
    warningDetails(app, n),
    h(
      "p",
      { class: "meta" },
      t("notice.rule", { rule: n.rule_id, version: n.rule_set_version }), " · ",
      t("notice.hash"), " ", pageLink("rules", n.rule_set_version, { text: short(n.rule_set_hash, 10) }),
    ),
    evidence.length ? evidenceList(app, n, evidence) : null,
    n.kind === "warning" && n.appeal && n.appeal.deadline
      ? h("p", { class: "small" }, t("notice.appealUntil", { date: dayTime(n.appeal.deadline) }))
      : null,
    actions,
  );
  if (n.appeal) {
    const form = appealForm(app, n, i);
    const open = h("button", { type: "button", class: "primary", "aria-expanded": "false" }, t("appeal.open"));
    open.addEventListener("click", () => {
      form.hidden = !form.hidden;
      open.setAttribute("aria-expanded", String(!form.hidden));
      if (!form.hidden) /** @type {HTMLElement} */ (form.querySelector("select, textarea")).focus();
    });
    actions.append(open);
    card.append(form);
  }
  if (!n.acknowledged) {
    actions.append(
      h("button", {
        type: "button",
        class: "ghost",
        onclick: async () => {
          try {
            await app.api.post(`/v1/residents/${sessionOf(app).address}/notices/${n.id}/ack`);
            n.acknowledged = true;
            redraw();
          } catch (err) {
            app.fail(err);
          }
        },
      }, t("notice.ack")),
    );
  }
  return card;
}

/**
 * The notice's evidence, folded; stays open across redraws once opened.
 * @param {import("../types.js").App} app
 */
function evidenceList(app, /** @type {Json} */ n, /** @type {HTMLElement[]} */ items) {
  app.openEvidence = app.openEvidence || new Set();
  const details = h(
    "details",
    { class: "evidence", open: app.openEvidence.has(n.id) },
    h("summary", {}, t("notice.evidence", { count: items.length })),
    h("ul", {}, items),
  );
  details.addEventListener("toggle", () => {
    if (details.open) app.openEvidence.add(n.id);
    else app.openEvidence.delete(n.id);
  });
  return details;
}

/**
 * A transaction hash, linked to its public page.
 * @param {import("../types.js").App} app
 */
export function txRef(app, /** @type {string} */ hash, full = true) {
  return pageLink("tx", hash, { full });
}

/** The kinds of evaluator who confirmed each booked record, read once per record from its public
 *  page (a booked record never changes) and drawn into ``[data-confirmers="<id>"]`` cells.
 * @param {import("../types.js").App} app
 */
export function confirmerKinds(app, /** @type {string} */ recordId) {
  app.recordKinds = app.recordKinds || new Map();
  const known = app.recordKinds.get(recordId);
  const cell = h("span", { class: "confirmer-kinds", dataset: { confirmers: recordId } }, known ? kindsText(known) : "…");
  if (!known && !app.recordKinds.has(`${recordId}:asked`)) {
    app.recordKinds.set(`${recordId}:asked`, true);
    app.api.get(`/v1/public/records/${recordId}`).then((r) => {
      const kinds = KIND_ORDER.filter((k) => r.confirmations.some((/** @type {Json} */ c) => c.kind === k));
      app.recordKinds.set(recordId, kinds);
      for (const el of document.querySelectorAll(`[data-confirmers="${recordId}"]`)) el.textContent = kindsText(kinds);
    }).catch(() => app.recordKinds.delete(`${recordId}:asked`));
  }
  return cell;
}

const KIND_ORDER = ["superior", "peer", "public", "expert"];
const KINDS_READ = 30; // records whose confirmers the home view reads (one public read each)

function kindsText(/** @type {string[]} */ kinds) {
  return kinds.length ? kinds.map((/** @type {string} */ k) => t(`kind.${k}`)).join(t("list.and")) : "–";
}

/** What a violation did to the credit: an overturned one is never shown as a deduction. */
function violationPoints(/** @type {Json} */ r) {
  if (r.status === "overturned") return h("span", { class: "restored" }, t("records.restored", { points: r.deducted }));
  return `−${r.deducted}`;
}

/** @param {import("../types.js").App} app */
function renderRecords(app, /** @type {Json} */ s) {
  const rows = [...(s.records || [])].reverse();
  if (!rows.length) {
    fill(byId("records"), h("p", { class: "muted" }, t("records.none")));
    return;
  }
  const head = ["date", "activity", "status", "points", "version", "tx"].map((k) => h("th", { scope: "col" }, t(`records.${k}`)));
  head.push(h("th", { scope: "col" }, t("pub.col.confirmedBy")), h("th", { scope: "col" }, t("pub.col.record")));
  const body = rows.map((r, row) => {
    const points = r.kind === "credit" ? `+${r.points}` : r.kind === "violation" ? violationPoints(r) : "–";
    const status = r.kind === "violation" ? t(`violation.${r.status}`) : t(`record.${r.kind}`);
    const cells = [
      day(r.occurred_at || r.block_time), // the activity's date; the block's only if unknown
      `${categoryTitle(app.config, r.category)} × ${r.units}`,
      status,
      points,
      r.rule_version ? pageLink("rules", r.rule_version, { text: `v${r.rule_version}` }) : "–",
    ].map((v, k) => h("td", { "data-label": head[k].textContent }, v));
    cells.push(h("td", { "data-label": head[5].textContent }, txRef(app, r.tx_hash, false)));
    const booked = r.kind !== "pending"; // a pending record has no public page yet
    // the newest records' confirmers are read at once; older ones are a click away
    const kinds = booked && row < KINDS_READ ? confirmerKinds(app, r.record_id) : "–";
    cells.push(h("td", { "data-label": head[6].textContent }, kinds));
    cells.push(h("td", { "data-label": head[7].textContent }, booked ? pageLink("record", r.record_id) : h("code", { class: "hash" }, short(r.record_id, 10))));
    return h("tr", { class: `row-${r.kind}`, dataset: { record: r.record_id } }, cells);
  });
  fill(
    byId("records"),
    h("table", { class: "records" }, h("caption", { class: "visually-hidden" }, t("records.title")), h("thead", {}, h("tr", {}, head)), h("tbody", {}, body)),
  );
}
