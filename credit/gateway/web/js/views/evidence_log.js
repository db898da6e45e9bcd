// @ts-check
// "Who looked at your evidence": the reads of the resident's evidence (GET /v1/evidence/access-log);
// for an auditor, every read by anyone. The log holds no content and survives erasure.
import { sessionOf } from "../session.js";
import { statusOf } from "../api.js";
import { h, fill, byId } from "../dom.js";
import { t } from "../i18n.js";
import { pageLink } from "../format.js";

/**
 * Fetch the access log the signed-in account may read; hide the section if it may read none.
 * @param {import("../types.js").App} app
 */
export async function loadAccessLog(app) {
  try {
    app.accessLog = await app.api.get("/v1/evidence/access-log?limit=50");
  } catch (err) {
    if (statusOf(err) !== 403) throw err;
    app.accessLog = null;
  }
  renderAccessLog(app);
}

/**
 * Draw the section from what is loaded (again after a language switch).
 * @param {import("../types.js").App} app
 */
export function renderAccessLog(app) {
  const section = byId("access-log-section");
  const log = app.accessLog;
  section.hidden = !log;
  if (!log) return;
  const all = log.scope === "all";
  byId("access-log-title").textContent = all ? t("access.titleAll") : t("access.title");
  byId("access-log-intro").textContent = all ? t("access.introAll") : t("access.intro");
  if (!log.entries.length) {
    fill(byId("access-log"), h("p", { class: "muted" }, t("access.none")));
    return;
  }
  /** @type {string[]} */
  const head = [t("access.when"), t("access.who"), t("access.as"), t("access.record"), t("access.why")];
  if (all) head.splice(2, 0, t("access.owner"));
  fill(
    byId("access-log"),
    h(
      "table",
      { class: "records access-log" },
      h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, log.entries.map((/** @type {Entry} */ e) => row(app, e, all, head))),
    ),
  );
}

/**
 * An access-log entry (GET /v1/evidence/access-log).
 * @typedef {{at: string, reader: string, owner: string, capacity: string, record_id: string | null, purpose: string, what: string}} Entry
 */

/**
 * @param {import("../types.js").App} app
 * @param {Entry} e
 * @param {boolean} all whether the log shows every owner's reads
 * @param {string[]} head the column titles (each cell's label on a phone)
 */
function row(app, e, all, head) {
  const mine = e.reader.toLowerCase() === sessionOf(app).address.toLowerCase();
  const cells = [
    e.at.slice(0, 16).replace("T", " ") + " UTC",
    mine ? t("access.you") : pageLink("address", e.reader),
    capacity(e.capacity),
    e.record_id ? pageLink("record", e.record_id) : "–",
    purpose(e),
  ];
  if (all) cells.splice(2, 0, pageLink("address", e.owner));
  return h("tr", {}, cells.map((c, i) => h("td", { "data-label": head[i] }, c)));
}

/** @param {string} name */
function capacity(name) {
  const key = `access.as.${name}`;
  return t(key) === key ? name : t(key);
}

/** @param {Entry} e */
function purpose(e) {
  const key = `access.why.${e.purpose}`;
  const why = t(key) === key ? e.purpose : t(key);
  return e.what === "metadata" ? `${why} (${t("access.metadata")})` : why;
}
