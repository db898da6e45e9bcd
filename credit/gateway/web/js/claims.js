// @ts-check
// "My claims": the signed-in resident's claims as the gateway holds them (GET
// /v1/residents/{address}/claims), so a claim sent from a phone shows on a PC too. Polled while
// the resident is signed in; each status in plain words, with what to do next.
import { all, h, fill } from "./dom.js";
import { t, categoryTitle } from "./i18n.js";
import { ApiProblem } from "./api.js";
import { day, short, pageLink } from "./format.js";
import { txRef, confirmerKinds } from "./views/home.js";

/** @typedef {import("./types.js").Json} Json */

const OPEN = new Set(["waiting", "pending", "queued", "sent"]);
const POLL_MS = 2000; // while a claim is on its way
const IDLE_POLL_MS = 10000; // otherwise: a claim sent from another device still shows soon
const PAGE = 20;
const EVALUATOR_REASONS = ["did_not_happen", "wrong_amount", "wrong_date", "not_enough_evidence", "other"];

export class ClaimTracker {
  /** @param {import("./types.js").App} app */
  constructor(app) {
    this.app = app;
    /** @type {any[]} newest first, as the gateway lists them */
    this.claims = [];
    this.loaded = false;
    /** @type {ReturnType<typeof setInterval> | null} */
    this._timer = null;
    this._last = 0;
  }

  _url() {
    const session = /** @type {import("./types.js").Session} */ (this.app.session); // polled while signed in
    return `/v1/residents/${session.address}/claims?limit=${PAGE}`;
  }

  /** Load the signed-in account's claims from the gateway and keep them fresh. */
  load() {
    this.claims = [];
    this.loaded = false;
    this.render();
    this.poll(true);
    this.start();
  }

  /** A claim just accepted (the answer of POST /v1/claims): shown at once, then refreshed. */
  add(/** @type {Json} */ status) {
    this.claims = [status, ...this.claims.filter((c) => c.record_id !== status.record_id)];
    this.render();
    this.poll(true);
  }

  start() {
    if (this._timer === null) this._timer = setInterval(() => this.poll(), POLL_MS);
  }

  stop() {
    if (this._timer !== null) clearInterval(this._timer);
    this._timer = null;
  }

  async poll(now = false) {
    if (!this.app.session || this.app.api.offline) return;
    const busy = this.claims.some((c) => OPEN.has(c.status));
    if (!now && !busy && Date.now() - this._last < IDLE_POLL_MS) return;
    this._last = Date.now();
    const before = new Map(this.claims.map((c) => [c.record_id, c.status]));
    let out;
    try {
      out = await this.app.api.get(this._url());
    } catch (err) {
      const status = err instanceof ApiProblem ? err.status : 0;
      if (status === 401 || status === 403) this.stop();
      return;
    }
    if (!this.app.session) return;
    const changed = JSON.stringify(out.claims) !== JSON.stringify(this.claims) || !this.loaded;
    this.claims = out.claims;
    this.loaded = true;
    if (changed) this.render();
    const credited = out.claims.some((/** @type {Json} */ c) => c.status === "credited" && before.get(c.record_id) && before.get(c.record_id) !== "credited");
    if (credited) this.app.refreshSoon();
  }

  /** Draw the claims into every list that shows them (only the last one where asked). */
  render() {
    for (const el of all("[data-claims]")) {
      const only = el.dataset.claims;
      const items = only ? this.claims.filter((c) => c.record_id === only) : this.claims;
      if (!items.length && !this.loaded) {
        fill(el, h("p", { class: "muted" }, t("mine.loading")));
        continue;
      }
      fill(
        el,
        items.length
          ? h("ul", { class: "claim-list" }, items.map((c) => this._item(c)))
          : h("p", { class: "muted" }, t("mine.none")),
      );
    }
  }

  _item(/** @type {Json} */ c) {
    const config = this.app.config;
    const head = `${categoryTitle(config, c.category)} × ${c.units} · ${t("mine.did", { date: day(c.occurred_at) })}`;
    return h(
      "li",
      { class: `claim status-${c.status}`, dataset: { record: c.record_id, status: c.status } },
      h("div", { class: "claim-head" }, h("strong", {}, head), h("span", { class: "pill" }, t(`mine.status.${c.status}`))),
      this._detail(c),
      h("p", { class: "muted small" }, t("claim.recordId"), " ",
        // on the ledger once credited: its public page; before that only this service holds it
        c.status === "credited" ? pageLink("record", c.record_id) : h("code", { class: "hash", title: c.record_id }, short(c.record_id, 10))),
    );
  }

  _detail(/** @type {Json} */ c) {
    if (c.status === "credited") {
      return h(
        "div",
        { class: "claim-detail" },
        h("p", {}, t("mine.credited", { points: c.points ?? "?" })),
        h("p", { class: "small" }, t("pub.col.confirmedBy"), ": ", confirmerKinds(this.app, c.record_id)),
        c.tx_hash ? h("p", { class: "small", dataset: { tx: c.tx_hash } }, t("mine.tx"), " ", txRef(this.app, c.tx_hash)) : null,
      );
    }
    if (c.status === "rejected") return this._rejected(c.rejection || { code: "other", message: "" });
    if (c.status === "waiting") {
      const k = c.confirmations;
      const lines = [];
      if (k) {
        lines.push(k.kinds.length ? t("mine.confirmedBy", { kinds: kindList(k.kinds) }) : t("mine.noneYet"));
        const missing = k.missing_kinds || k.needed.kinds.filter((/** @type {Json} */ x) => !k.kinds.includes(x));
        if (missing.length) lines.push(t("mine.stillNeeded", { kinds: kindList(missing) }));
        else lines.push(t("mine.moreNeeded", { count: Math.max(1, k.needed.count - k.count) }));
      }
      lines.push(t("mine.waitingNext"));
      return h("div", { class: "claim-detail" }, lines.map((line) => h("p", {}, line)));
    }
    return h("div", { class: "claim-detail" }, h("p", {}, t(`mine.status.${c.status}Detail`)));
  }

  _rejected(/** @type {Json} */ r) {
    const byEvaluator = EVALUATOR_REASONS.includes(r.code);
    if (!byEvaluator) {
      const key = ["expired", "earlier_claim_rejected"].includes(r.code) ? r.code : "other";
      return h("div", { class: "claim-detail" }, h("p", {}, t(`mine.closed.${key}`)));
    }
    return h(
      "div",
      { class: "claim-detail rejection", dataset: { reason: r.code } },
      h("p", {}, t("mine.rejectedBy", {
        date: r.at ? day(r.at) : "?",
        kind: r.by ? t(`kind.${r.by.toLowerCase()}`) : "?",
        reason: t(`reject.reason.${r.code}`),
      })),
      r.note ? h("p", { class: "note" }, t("mine.note"), " ", h("q", {}, r.note)) : null,
      h("p", { class: "next" }, t("mine.rejectedNext")),
    );
  }
}

/** "Superior (organiser or department) and Fellow resident" in the current language. */
function kindList(/** @type {string[]} */ kinds) {
  return kinds.map((/** @type {string} */ k) => t(`kind.${k.toLowerCase()}`)).join(t("list.and"));
}
