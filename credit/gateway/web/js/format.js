// @ts-check
// Formatting helpers: dates in UTC (as the ledger's notices), hashes, token amounts, and links
// to the public pages of records, transactions, addresses, rule-set versions and epochs.
import { h } from "./dom.js";

/**
 * ``YYYY-MM-DD`` (UTC) of a unix time in seconds.
 * @param {number | string} seconds
 */
export function day(seconds) {
  return new Date(Number(seconds) * 1000).toISOString().slice(0, 10);
}

/**
 * ``YYYY-MM-DD HH:MM UTC`` of a unix time in seconds.
 * @param {number | string} seconds
 */
export function dayTime(seconds) {
  const iso = new Date(Number(seconds) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * ``0x1234…abcd``: enough to recognise a hash or an address at a glance.
 * @param {string | null | undefined} hex
 * @param {number} [keep] leading characters kept
 * @returns {string}
 */
export function short(hex, keep = 6) {
  const s = String(hex || "");
  return s.length <= 2 * keep + 3 ? s : `${s.slice(0, keep)}…${s.slice(-4)}`;
}

/**
 * A token amount (integer string in base units) with ``decimals`` decimals, trimmed.
 * @param {string | number | bigint | null | undefined} amount
 * @param {number} [decimals]
 * @param {number} [places]
 */
export function units(amount, decimals = 18, places = 4) {
  const value = BigInt(amount || 0);
  const base = 10n ** BigInt(decimals);
  const whole = value / base;
  const frac = (value % base).toString().padStart(decimals, "0").slice(0, places).replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/**
 * Unix seconds when ``epoch`` starts, from the ledger's schedule in /v1/config.
 * @param {{epoch: {genesis: number, length_seconds: number}}} config /v1/config
 * @param {number} epoch
 * @returns {number}
 */
export function epochStart(config, epoch) {
  return config.epoch.genesis + epoch * config.epoch.length_seconds;
}

/**
 * The hex encoding of a string's UTF-8 bytes (what ``personal_sign`` takes).
 * @param {string} text
 */
export function utf8Hex(text) {
  let out = "0x";
  for (const b of new TextEncoder().encode(text)) out += b.toString(16).padStart(2, "0");
  return out;
}

export const ZERO32 = "0x" + "00".repeat(32);

const PAGES = new Set(["record", "tx", "address", "rules", "epoch"]);

/** A link to the public page of a ``record`` id, a ``tx`` hash, an ``address``, a ``rules``
 *  version or an ``epoch`` (``#/<kind>/<value>``); hashes and addresses are shortened unless
 *  ``full``. Every view shows these values through this one helper.
 * @param {string} kind
 * @param {string | number} value
 * @param {{full?: boolean, text?: string | null}} [options]
 * @returns {HTMLAnchorElement}
 */
export function pageLink(kind, value, { full = false, text = null } = {}) {
  if (!PAGES.has(kind)) throw new Error(`no public page for ${kind}`);
  const plain = kind === "rules" || kind === "epoch";
  const label = text ?? (plain ? String(value) : full ? String(value) : short(String(value), kind === "address" ? 8 : 10));
  const inner = plain || text ? label : h("code", { class: "hash", title: String(value) }, label);
  return h("a", { href: `#/${kind}/${value}`, class: "page-link", dataset: { page: kind } }, inner);
}

/** ``text`` (a translated sentence naming values shortened as ``pageLink`` shortens them) as
 *  nodes, each such value turned into its link: ``[["address", "0x…"], …]``.
 * @param {string} text
 * @param {[string, string][]} links
 * @returns {(string | HTMLElement)[]}
 */
export function withLinks(text, links) {
  /** @type {(string | HTMLElement)[]} */
  let parts = [text];
  for (const [kind, value] of links) {
    const shown = short(value, kind === "address" ? 8 : 10);
    parts = parts.flatMap((p) => {
      if (typeof p !== "string" || !p.includes(shown)) return [p];
      const [before, ...rest] = p.split(shown);
      return [before, pageLink(kind, value), rest.join(shown)];
    });
  }
  return parts;
}
