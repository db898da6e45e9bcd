// @ts-check
// Public pages, no sign-in: a record, a rule-set version (public_rules.js), an epoch, an address,
// a transaction.
// They read /v1/public/... (only what is on chain) and the rule documents, whose bytes are hashed
// here with keccak-256 and checked against the hash on chain. Routes: #/record/0x…, #/rules/2,
// #/epoch/24, #/address/0x…, #/tx/0x… (links from format.js pageLink).
import { configOf } from "../session.js";
import { all, h, fill, byId } from "../dom.js";
import { t, categoryTitle } from "../i18n.js";
import { day, dayTime, units, pageLink } from "../format.js";
import { loadRules, renderRules } from "./public_rules.js";

const ROUTE = /^#\/(record|tx|address|rules|epoch)\/([0-9a-zA-Z]+)$/;

/** The public page the address bar names, ``{kind, value}``, or null. */
export function publicRoute() {
  const m = ROUTE.exec(window.location.hash || "");
  return m ? { kind: m[1], value: m[2] } : null;
}

/** @typedef {import("../types.js").App} App */
/** @typedef {import("../types.js").Json} Json */

/** @type {Record<string, (app: App, value: string) => Promise<any>>} what each page loads */
const LOADERS = {
  record: (app, id) => app.api.get(`/v1/public/records/${id}`),
  tx: (app, hash) => app.api.get(`/v1/public/transactions/${hash}`),
  address: (app, address) => app.api.get(`/v1/public/addresses/${address}`),
  epoch: loadEpoch,
  rules: loadRules,
};

/** @param {import("../types.js").App} app */
async function loadEpoch(app, /** @type {string} */ n) {
  const [epoch, verification] = await Promise.all([
    app.api.get(`/v1/public/epochs/${n}`),
    // another part of the service answers this; 404 (no_verifier, or no such route): none yet
    app.api.get(`/v1/verification/epochs/${n}`).catch((err) => (err.status === 404 ? null : { failed: err.message })),
  ]);
  return { ...epoch, verification };
}

/**
 * Open the page the address bar names (true), or do nothing (false).
 * @param {import("../types.js").App} app
 */
export async function openPublic(app) {
  const route = publicRoute();
  if (!route) return false;
  app.publicPage = { route, data: null, error: null };
  showPublic(true);
  fill(byId("view-public"), h("p", { class: "muted" }, t("pub.loading")));
  try {
    app.publicPage.data = await LOADERS[route.kind](app, route.value);
  } catch (err) {
    app.publicPage.error = err;
  }
  if (!app.publicPage || app.publicPage.route !== route) return true; // left meanwhile
  renderPublic(app);
  const heading = byId("view-public").querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
  document.body.dataset.publicPage = route.kind;
  return true;
}

/**
 * Hide the public page (the address bar names another view).
 * @param {import("../types.js").App} app
 */
export function closePublic(app) {
  app.publicPage = null;
  delete document.body.dataset.publicPage;
  showPublic(false);
}

function showPublic(/** @type {boolean} */ on) {
  byId("view-public").hidden = !on;
  if (!on) return;
  for (const v of all("main > .view:not(#view-public)")) v.hidden = true;
  for (const b of document.querySelectorAll("#nav button")) b.removeAttribute("aria-current");
}

/**
 * Draw the open public page from the data loaded (also after a language switch).
 * @param {import("../types.js").App} app
 */
export function renderPublic(app) {
  const p = app.publicPage;
  if (!p) return;
  const box = byId("view-public");
  if (p.error) {
    const code = p.error.code || "";
    fill(box, h("h1", {}, t(`pub.title.${p.route.kind}`)), h("p", { class: "notice-box", dataset: { code } }, p.error.status === 404 ? t("pub.notFound", { reason: p.error.message }) : t("msg.failed", { reason: p.error.message })), homeLink());
    return;
  }
  if (!p.data) return;
  fill(box, RENDER[p.route.kind](app, p.data), homeLink());
}

function homeLink() {
  return h("p", { class: "small" }, h("a", { href: "#" }, t("pub.home")));
}

// ------------------------------------------------------------------ helpers
/**
 * A definition list of ``[label, value]`` rows (a falsy row is skipped).
 * @param {([string, import("../dom.js").Child] | null | false)[]} rows
 */
export function facts(rows) {
  return h("dl", { class: "facts" }, /** @type {[string, import("../dom.js").Child][]} */ (rows.filter(Boolean)).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

export function when(/** @type {Json} */ ref) {
  return [dayTime(ref.block_time), " · ", pageLink("tx", ref.tx_hash)];
}

export function kindName(/** @type {string} */ kind) {
  return t(`kind.${kind}`);
}

function recordStatus(/** @type {Json} */ r) {
  return t(`pub.status.${r.status}`);
}

function points(/** @type {Json} */ r) {
  return r.points > 0 ? `+${r.points}` : String(r.points);
}

/** A table of record rows, each linked to its page. */
/**
 * @param {import("../types.js").App} app
 * @param {any[]} rows
 * @param {{resident?: boolean, extra?: {head: string, cell: (row: any) => import("../dom.js").Child} | null}} [options]
  * @param {import("../types.js").App} app
 */
function recordTable(app, rows, { resident = true, extra = null } = {}) {
  if (!rows.length) return h("p", { class: "muted" }, t("pub.noRecords"));
  const cols = ["pub.col.date", "pub.col.activity", ...(resident ? ["pub.col.resident"] : []), "pub.col.points", "pub.col.status", "pub.col.rules", "pub.col.record", ...(extra ? [extra.head] : [])];
  const head = cols.map((k) => h("th", { scope: "col" }, t(k)));
  const body = rows.map((item) => {
    const r = item.record || item;
    const cells = [
      day(r.booked.block_time),
      `${categoryTitle(app.config, r.category)} × ${r.units}`,
      ...(resident ? [pageLink("address", r.resident)] : []),
      points(r),
      recordStatus(r),
      pageLink("rules", r.rule_version, { text: `v${r.rule_version}` }),
      pageLink("record", r.record_id),
      ...(extra ? [extra.cell(item)] : []),
    ];
    return h("tr", { class: `row-${r.kind}`, dataset: { record: r.record_id } }, cells.map((v, k) => h("td", { "data-label": head[k].textContent }, v)));
  });
  return h("table", { class: "records" }, h("thead", {}, h("tr", {}, head)), h("tbody", {}, body));
}

// ------------------------------------------------------------------ pages
/** @type {Record<string, (app: App, data: any) => HTMLElement>} how each page is drawn */
const RENDER = { record: renderRecord, tx: renderTx, address: renderAddress, epoch: renderEpoch, rules: renderRules };

/** @param {import("../types.js").App} app */
function renderRecord(app, /** @type {Json} */ r) {
  const epoch = r.epoch;
  const confirmers = r.confirmations.length
    ? h("ul", { class: "confirmers" }, r.confirmations.map((/** @type {Json} */ c) => h("li", { dataset: { kind: c.kind } }, h("span", { class: "pill" }, kindName(c.kind)), " ", pageLink("address", c.address, { full: true }))))
    : h("p", { class: "muted" }, t("pub.noConfirmers"));
  const kinds = [...new Set(r.confirmations.map((/** @type {Json} */ c) => kindName(c.kind)))];
  return h(
    "section",
    { class: "public-page", dataset: { record: r.record_id } },
    h("h1", {}, t(r.kind === "credit" ? "pub.title.record" : "pub.title.violation")),
    h("p", { class: "lead" }, t(r.kind === "credit" ? "pub.record.lead" : "pub.violation.lead", {
      category: categoryTitle(app.config, r.category), units: r.units, points: Math.abs(r.points), kinds: kinds.join(t("list.and")) || "–",
    })),
    facts([
      [t("pub.f.record"), h("code", { class: "hash" }, r.record_id)],
      [t("pub.f.category"), `${categoryTitle(app.config, r.category)} × ${r.units}`],
      [t("pub.f.points"), points(r)],
      [t("pub.f.status"), recordStatus(r)],
      [t("pub.f.resident"), pageLink("address", r.resident, { full: true })],
      r.reporter ? [t("pub.f.reporter"), pageLink("address", r.reporter, { full: true })] : null,
      [t("pub.f.occurred"), r.occurred_at ? day(r.occurred_at) : t("pub.unknown")],
      [t("pub.f.booked"), when(r.booked)],
      [t("pub.f.epoch"), pageLink("epoch", epoch, { text: t("pub.epochN", { epoch }) })],
      [t("pub.f.rules"), pageLink("rules", r.rule_version, { text: t("pub.versionN", { version: r.rule_version }) })],
      r.appeal_deadline ? [t("pub.f.appealUntil"), dayTime(r.appeal_deadline)] : null,
    ]),
    h("h2", {}, t("pub.confirmers")),
    h("p", { class: "small muted" }, t(r.relayed ? "pub.relayed" : "pub.direct")),
    confirmers,
    r.kind === "violation" ? h("h2", {}, t("pub.appeal")) : null,
    r.kind === "violation" ? appealFacts(r) : null,
  );
}

function appealFacts(/** @type {Json} */ r) {
  const a = r.appeal;
  if (!a) return h("p", { class: "muted" }, t("pub.noAppeal"));
  return h("div", { class: "appeal-facts", dataset: { status: a.status } }, facts([
    [t("pub.f.appealStatus"), t(`pub.status.${a.status}`)],
    [t("pub.f.filed"), when(a.filed)],
    a.resolved ? [t("pub.f.decided"), when(a.resolved)] : null,
    a.arbiter ? [t("pub.f.arbiter"), pageLink("address", a.arbiter, { full: true })] : null,
    a.restored ? [t("pub.f.restored"), `+${a.restored}`] : null,
  ]));
}

/** @param {import("../types.js").App} app */
function renderTx(app, /** @type {Json} */ x) {
  return h(
    "section",
    { class: "public-page" },
    h("h1", {}, t("pub.title.tx")),
    facts([
      [t("pub.f.tx"), h("code", { class: "hash" }, x.tx_hash)],
      [t("pub.f.block"), String(x.block_number)],
      [t("pub.f.time"), dayTime(x.block_time)],
      x.rule_versions.length ? [t("pub.f.published"), x.rule_versions.map((/** @type {number} */ v) => pageLink("rules", v, { text: t("pub.versionN", { version: v }) }))] : null,
    ]),
    h("h2", {}, t("pub.records")),
    recordTable(app, x.records),
    x.rewards.length ? [h("h2", {}, t("pub.rewards")), rewardTable(app, x.rewards)] : null,
  );
}

/** @param {import("../types.js").App} app */
function renderAddress(app, /** @type {Json} */ a) {
  return h(
    "section",
    { class: "public-page", dataset: { address: a.address } },
    h("h1", {}, t("pub.title.address")),
    facts([
      [t("pub.f.address"), h("code", { class: "hash" }, a.address)],
      [t("pub.f.registered"), t(a.registered ? "pub.yes" : "pub.no")],
    ]),
    h("h2", {}, t("pub.aboutRecords")),
    recordTable(app, a.records, { resident: false }),
    h("h2", {}, t("pub.actedRecords")),
    a.acted.length
      ? recordTable(app, a.acted, { extra: { head: "pub.col.as", cell: (x) => (x.kind ? kindName(x.kind) : t("pub.reporter")) } })
      : h("p", { class: "muted" }, t("pub.noActed")),
  );
}

/** @param {import("../types.js").App} app */
function rewardTable(app, /** @type {Json[]} */ rewards) {
  const cols = ["pub.col.resident", "pub.col.epoch", "pub.col.points", "pub.col.amount", "pub.col.tx"];
  const head = cols.map((k) => h("th", { scope: "col" }, t(k)));
  const symbol = configOf(app).token.symbol;
  const rows = rewards.map((/** @type {Json} */ r) => h("tr", {}, [
    pageLink("address", r.resident),
    pageLink("epoch", r.epoch),
    String(r.points),
    `${units(r.amount, configOf(app).token.decimals)} ${symbol}`,
    pageLink("tx", r.paid.tx_hash),
  ].map((v, k) => h("td", { "data-label": head[k].textContent }, v))));
  return h("table", { class: "records" }, h("thead", {}, h("tr", {}, head)), h("tbody", {}, rows));
}

/** @param {import("../types.js").App} app */
function renderEpoch(app, /** @type {Json} */ e) {
  const nav = h("p", { class: "small" },
    e.epoch > 0 ? pageLink("epoch", e.epoch - 1, { text: `← ${t("pub.epochN", { epoch: e.epoch - 1 })}` }) : null,
    e.epoch > 0 && !e.current ? " · " : null,
    e.current ? null : pageLink("epoch", e.epoch + 1, { text: `${t("pub.epochN", { epoch: e.epoch + 1 })} →` }));
  return h(
    "section",
    { class: "public-page", dataset: { epoch: e.epoch } },
    h("h1", {}, t("pub.epochN", { epoch: e.epoch })),
    nav,
    facts([
      [t("pub.f.from"), dayTime(e.starts_at)],
      [t("pub.f.to"), `${dayTime(e.ends_at)}${e.current ? ` (${t("pub.current")})` : ""}`],
      [t("pub.f.recordsCount"), String(e.records_count)],
      [t("pub.f.credited"), `+${e.points_credited}`],
      [t("pub.f.deducted"), `−${e.points_deducted}`],
      [t("pub.f.rewardsTotal"), `${units(e.rewards_total, configOf(app).token.decimals)} ${configOf(app).token.symbol}`],
    ]),
    e.truncated ? h("p", { class: "small muted" }, t("pub.truncated")) : null,
    h("h2", {}, t("pub.verification")),
    verificationPart(e.verification),
    h("h2", {}, t("pub.records")),
    recordTable(app, e.records),
    h("h2", {}, t("pub.rewards")),
    e.rewards.length ? rewardTable(app, e.rewards) : h("p", { class: "muted" }, t(e.current ? "pub.rewardsLater" : "pub.noRewards")),
  );
}

/** The verifiers' part: state root, who committed and revealed, who agreed (from the verifier). */
function verificationPart(/** @type {Json | null} */ v) {
  if (v === null) return h("p", { class: "notice-box", id: "no-verification" }, t("pub.noVerification"));
  if (v.failed) return h("p", { class: "notice-box" }, t("msg.failed", { reason: v.failed }));
  const agreed = v.verifiers.filter((/** @type {Json} */ x) => x.agreed).length;
  const cols = ["pub.col.verifier", "pub.col.committed", "pub.col.revealed", "pub.col.agreed", "pub.col.credited"];
  const head = cols.map((k) => h("th", { scope: "col" }, t(k)));
  const yes = (/** @type {boolean | null | undefined} */ b) => (b === null || b === undefined ? "–" : t(b ? "pub.yes" : "pub.no"));
  const rows = v.verifiers.map((/** @type {Json} */ x) => h("tr", {}, [pageLink("address", x.address), yes(x.committed), yes(x.revealed), yes(x.agreed), yes(x.credited)].map((c, k) => h("td", { "data-label": head[k].textContent }, c))));
  return h("div", { class: "verification", dataset: { phase: v.phase } },
    facts([
      [t("pub.f.phase"), t(`pub.phase.${v.phase}`)],
      [t("pub.f.root"), v.root ? h("code", { class: "hash" }, v.root) : t("pub.noRoot")],
      [t("pub.f.agreement"), t("pub.agreement", { agreed, total: v.verifiers.length, reveals: v.reveals, quorum: v.quorum })],
      [t("pub.f.revealCloses"), dayTime(v.reveal_closes)],
      [t("pub.f.verifierContract"), pageLink("address", v.verifier, { full: true })],
    ]),
    v.verifiers.length ? h("table", { class: "records" }, h("thead", {}, h("tr", {}, head)), h("tbody", {}, rows)) : h("p", { class: "muted" }, t("pub.noVerifiers")));
}
