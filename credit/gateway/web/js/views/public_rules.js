// @ts-check
// The public rule-set page: a published version, its document fetched from the URI on chain (or
// this service's copy) and hashed here with keccak-256 against the hash on chain, its rules in
// plain words, and what changed from the previous version.
import { configOf } from "../session.js";
import { reason } from "../api.js";
import { h } from "../dom.js";
import { t, lang } from "../i18n.js";
import { dayTime, units, pageLink } from "../format.js";
import { keccak, toHex } from "../verify/hash.js";
import { facts, when, kindName } from "./public.js";

/** The version's facts, then its document: fetched from the URI published on chain when this
 *  page may (same origin), else from this service's copy; its bytes hashed here.
 * @param {import("../types.js").App} app
 * @param {number | string} version
 */
export async function loadRules(app, version) {
  const meta = await app.api.get(`/v1/public/rule-sets/${version}`);
  let source = meta.document_path;
  try {
    if (meta.uri && new URL(meta.uri, window.location.href).origin === window.location.origin) source = meta.uri;
  } catch {
    /* not a URL this page can read: use the copy */
  }
  /** @type {{source: string, fromUri: boolean, bytes: Uint8Array | null, hash: string | null, rules: any, failed: string | null}} */
  const doc = { source, fromUri: source === meta.uri, bytes: null, hash: null, rules: null, failed: null };
  try {
    const res = await fetch(source, { cache: "no-store" });
    if (!res.ok) throw new Error(`${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    doc.bytes = bytes;
    doc.hash = toHex(keccak(bytes));
    doc.rules = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    doc.failed = reason(err);
  }
  return { ...meta, doc };
}

/**
 * @param {import("../types.js").App} app
 * @param {import("../types.js").Json} r what loadRules gave
 */
export function renderRules(app, r) {
  const d = r.doc;
  const matches = d.hash !== null && d.hash === r.content_hash.toLowerCase();
  const check = d.failed
    ? h("p", { class: "hash-check hash-unknown", id: "hash-check" }, t("pub.docFailed", { reason: d.failed }))
    : h("p", { class: `hash-check ${matches ? "hash-ok" : "hash-bad"}`, id: "hash-check", dataset: { matches: String(matches) } },
      h("strong", {}, t(matches ? "pub.hashMatches" : "pub.hashMismatch")), " ", t("pub.hashDetail", { hash: d.hash }));
  const nav = h("p", { class: "small" },
    r.previous ? pageLink("rules", r.previous, { text: `← ${t("pub.versionN", { version: r.previous })}` }) : null,
    r.previous && r.next ? " · " : null,
    r.next ? pageLink("rules", r.next, { text: `${t("pub.versionN", { version: r.next })} →` }) : null);
  return h(
    "section",
    { class: "public-page", dataset: { version: r.version } },
    h("h1", {}, t("pub.rulesTitle", { version: r.version })),
    nav,
    check,
    facts([
      [t("pub.f.status"), t(`pub.rules.${r.status}`)],
      [t("pub.f.effective"), dayTime(r.effective_at)],
      [t("pub.f.publishedAt"), when(r.published)],
      [t("pub.f.hash"), h("code", { class: "hash" }, r.content_hash)],
      [t("pub.f.uri"), r.uri ? h("code", { class: "hash" }, r.uri) : t("pub.noUri")],
      [t("pub.f.fetched"), [h("code", { class: "hash" }, d.source), d.fromUri ? "" : ` (${t("pub.copy")})`]],
      [t("pub.f.expiry"), t("pub.expiryEpochs", { epochs: r.expiry_epochs })],
      [t("pub.f.appealWindow"), t("pub.days", { days: Math.round(r.appeal_window_seconds / 86400) })],
      [t("pub.f.rewardRate"), `${units(r.reward_per_point, configOf(app).token.decimals)} ${configOf(app).token.symbol}`],
    ]),
    h("h2", {}, t("pub.changes")),
    changesPart(r),
    // a text that does not match is not these rules: shown folded, under the warning only
    d.rules && matches ? rulesPart(d.rules) : null,
    d.rules && !matches ? h("details", { class: "unverified" }, h("summary", {}, t("pub.showUnverified")), rulesPart(d.rules)) : null,
  );
}

/**
 * A translated text of the rule document (``{en, zh}``), in the page's language.
 * @param {Record<string, string> | null | undefined} x
 */
function text(x) {
  return x ? x[lang()] || x.en : "";
}

/** @param {import("../types.js").Json} rules the rule-set document */
function rulesPart(rules) {
  const cats = (rules.categories || []).map((/** @type {import("../types.js").Json} */ c) => {
    const conf = c.confirmation || {};
    const weights = Object.entries(conf.weights || {}).filter(([, w]) => w > 0).map(([k, w]) => `${kindName(k)} ${w}`).join(", ");
    const required = (conf.required_kinds || []).map(kindName).join(t("list.and")) || t("pub.none");
    return h("article", { class: `card rule-category${c.negative ? " negative" : ""}`, dataset: { category: c.id } },
      h("h3", {}, `${text(c.title)} (${c.id})`),
      c.description ? h("p", {}, text(c.description)) : null,
      facts([
        [t("pub.r.points"), t(c.negative ? "pub.r.deducts" : "pub.r.earns", { points: c.points_per_unit, unit: text(c.unit), max: c.max_units })],
        [t("pub.r.cap"), c.cap_per_epoch ? t("pub.r.capN", { cap: c.cap_per_epoch }) : t("pub.none")],
        [t("pub.r.quorum"), c.automated ? t("pub.r.automated") : t("pub.r.quorumText", { count: conf.min_confirmations, threshold: conf.threshold, weights })],
        c.automated ? null : [t("pub.r.required"), required],
      ]));
  });
  return h("section", { class: "rules-text", lang: lang() === "zh" ? "zh-Hans" : "en" },
    h("h2", {}, rules.label || ""),
    h("p", {}, text(rules.description)),
    cats);
}

/** @param {import("../types.js").Json} r */
function changesPart(r) {
  if (!r.previous) return h("p", { class: "muted" }, t("pub.firstVersion"));
  if (!r.diff) return h("p", { class: "muted" }, t("pub.noDiff"));
  if (!r.diff.length) return h("p", { class: "muted" }, t("pub.noChanges"));
  return h("ul", { class: "rule-changes" }, r.diff.map((/** @type {import("../types.js").Json} */ c) => {
    const what = c.scope === "category" ? t("pub.diff.category", { id: c.category, key: c.key }) : t(`pub.diff.${c.scope}`);
    const fields = Object.entries(c.fields).map(([name, [was, now]]) => h("li", {}, `${fieldName(name)}: ${show(was)} → ${show(now)}`));
    return h("li", { dataset: { change: c.change, scope: c.scope } }, `${what}: ${t(`pub.diff.${c.change}`)}`, fields.length ? h("ul", {}, fields) : null);
  }));
}

/**
 * A rule field's name in plain words (the raw name if it is new).
 * @param {string} name
 */
function fieldName(name) {
  const key = `pub.field.${name}`;
  return t(key) === key ? name : t(key);
}

/** @param {unknown} v a rule field's value */
function show(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "object" && !Array.isArray(v)) return text(/** @type {Record<string, string>} */ (v)) || JSON.stringify(v);
  return Array.isArray(v) ? `[${v.join(", ")}]` : String(v);
}
