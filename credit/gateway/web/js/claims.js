// Claims this browser submitted: remembered per account, polled until credited or rejected.
import { h, fill } from "./dom.js";
import { t, categoryTitle } from "./i18n.js";
import { day, short } from "./format.js";

const FINAL = new Set(["credited", "rejected"]);
const POLL_MS = 1000;

export class ClaimTracker {
  constructor(app) {
    this.app = app;
    this.claims = new Map(); // record id -> last status answer
    this._timer = null;
  }

  _key() {
    return `cc.claims.${this.app.session.address.toLowerCase()}`;
  }

  /** Load the signed-in account's remembered claims and start polling the open ones. */
  load() {
    this.claims.clear();
    let ids = [];
    try {
      ids = JSON.parse(localStorage.getItem(this._key()) || "[]");
    } catch {
      ids = [];
    }
    for (const id of ids) this.claims.set(id, { record_id: id, status: "unknown" });
    this.start();
  }

  /** Remember a newly accepted claim (the answer of POST /v1/claims). */
  add(status) {
    this.claims.set(status.record_id, status);
    localStorage.setItem(this._key(), JSON.stringify([...this.claims.keys()].slice(-50)));
    this.render();
    this.start();
  }

  start() {
    if (this._timer === null) this._timer = setInterval(() => this.poll(), POLL_MS);
  }

  stop() {
    clearInterval(this._timer);
    this._timer = null;
  }

  async poll() {
    const open = [...this.claims.values()].filter((c) => !FINAL.has(c.status));
    if (!open.length || !this.app.session || this.app.api.offline) return;
    let credited = false;
    for (const claim of open) {
      try {
        const now = await this.app.api.get(`/v1/claims/${claim.record_id}`);
        if (now.status !== claim.status && now.status === "credited") credited = true;
        this.claims.set(claim.record_id, now);
      } catch (err) {
        if (err.status === 404 || err.status === 403) this.claims.delete(claim.record_id);
        if (err.status === 0) return;
      }
    }
    this.render();
    if (credited) this.app.refreshSoon();
  }

  /** Draw the claims into every list that shows them. */
  render() {
    const items = [...this.claims.values()].reverse();
    for (const el of document.querySelectorAll("[data-claims]")) {
      fill(
        el,
        items.length
          ? h("ul", { class: "claim-list" }, items.map((c) => this._item(c)))
          : h("p", { class: "muted" }, t("claims.none")),
      );
    }
  }

  _item(c) {
    const config = this.app.config;
    const head = c.category
      ? `${categoryTitle(config, c.category)} × ${c.units} · ${day(c.occurred_at)}`
      : short(c.record_id, 10);
    return h(
      "li",
      { class: `claim status-${c.status}`, dataset: { record: c.record_id, status: c.status } },
      h("div", { class: "claim-head" }, h("strong", {}, head), h("span", { class: "pill" }, t(`claim.status.${c.status}`))),
      h("p", { class: "claim-detail" }, this._detail(c)),
      h("p", { class: "muted small" }, t("claim.recordId"), " ", h("code", { class: "hash" }, c.record_id)),
    );
  }

  _detail(c) {
    if (c.status === "credited") return t("claim.creditedDetail", { points: c.points ?? "?" });
    if (c.status === "rejected") {
      return t("claim.rejectedDetail", { reason: (c.reason && (c.reason.message || c.reason.error)) || "" });
    }
    if (c.confirmations) {
      const k = c.confirmations;
      return t("claim.waitingDetail", {
        count: k.count,
        needed: k.needed.count,
        weight: k.weight,
        threshold: k.needed.weight,
      });
    }
    return t(`claim.status.${c.status}Detail`);
  }
}
