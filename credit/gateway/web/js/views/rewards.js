// @ts-check
// Rewards: the reward token balance and past periods (points earned, paid or not, payment tx).
import { sessionOf, configOf } from "../session.js";
import { h, fill, byId } from "../dom.js";
import { t } from "../i18n.js";
import { day, units, epochStart, pageLink } from "../format.js";
import { txRef } from "./home.js";

/** @param {import("../types.js").App} app */
export async function loadRewards(app) {
  const address = sessionOf(app).address;
  const [rewards, summary] = await Promise.all([
    app.api.get(`/v1/residents/${address}/rewards`),
    app.summary ? Promise.resolve(app.summary) : app.api.get(`/v1/residents/${address}`),
  ]);
  app.rewards = rewards;
  app.summary = summary;
  renderRewards(app);
}

/** @param {import("../types.js").App} app */
export function renderRewards(app) {
  const r = app.rewards;
  if (!r) return;
  byId("reward-balance").textContent = units(r.balance, r.decimals);
  byId("reward-symbol").textContent = r.symbol;
  const perPoint = configOf(app).rules.terms.reward_per_point;
  byId("reward-rate").textContent = t("rewards.rate", { amount: units(String(perPoint), r.decimals), symbol: r.symbol });
  const paid = new Map(r.payments.map((/** @type {import("../types.js").Json} */ p) => [p.epoch, p]));
  const epochs = new Map((app.summary.earnings || []).map((/** @type {import("../types.js").Json} */ e) => [e.epoch, e]));
  for (const p of r.payments) if (!epochs.has(p.epoch)) epochs.set(p.epoch, { epoch: p.epoch, points: p.points });
  const rows = [...epochs.values()].sort((a, b) => b.epoch - a.epoch);
  if (!rows.length) {
    fill(byId("reward-epochs"), h("p", { class: "muted" }, t("rewards.none")));
    return;
  }
  const cols = ["period", "points", "reward", "tx"].map((k) => h("th", { scope: "col" }, t(`rewards.${k}`)));
  const current = app.summary.epoch;
  const body = rows.map((e) => {
    const p = paid.get(e.epoch);
    const start = epochStart(configOf(app), e.epoch);
    const state = p
      ? `${units(p.amount, r.decimals)} ${r.symbol}`
      : e.epoch >= current
        ? t("rewards.open")
        : t("rewards.unpaid");
    return h(
      "tr",
      { dataset: { epoch: e.epoch } },
      h("td", { "data-label": cols[0].textContent }, pageLink("epoch", e.epoch, { text: t("rewards.periodName", { epoch: e.epoch, start: day(start) }) })),
      h("td", { "data-label": cols[1].textContent }, String(e.points)),
      h("td", { "data-label": cols[2].textContent }, state),
      h("td", { "data-label": cols[3].textContent }, p ? txRef(app, p.tx_hash, false) : "–"),
    );
  });
  fill(
    byId("reward-epochs"),
    h("table", { class: "records" }, h("caption", { class: "visually-hidden" }, t("rewards.epochs")), h("thead", {}, h("tr", {}, cols)), h("tbody", {}, body)),
  );
}
