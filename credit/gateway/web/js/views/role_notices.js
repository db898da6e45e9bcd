// @ts-check
// Reminders for officials and arbiters, at the top of the view they work in. A resident reads
// their notices on "My credit"; an account that is not a resident has no such page, so its
// reminders (claims waiting for its kind, appeals waiting for a decision) follow it here.
import { sessionOf } from "../session.js";
import { h, fill } from "../dom.js";
import { t } from "../i18n.js";
import { noticeList } from "./home.js";

const PANEL_ID = "role-notices";

/** Whether this session's reminders go in the panel: signed in, not a registered resident, on
 *  another view than "My credit" (whose own list shows them).
 * @param {import("../types.js").App} app
 */
export function wantsRoleNotices(app) {
  return app.session !== null && !sessionOf(app).roles.includes("RESIDENT") && app.view !== "home";
}

/**
 * Fetch the signed-in account's notices; redraw only when they changed.
 * @param {import("../types.js").App} app
 */
export async function loadRoleNotices(app) {
  if (!wantsRoleNotices(app)) return renderRoleNotices(app);
  const body = await app.api.get(`/v1/residents/${sessionOf(app).address}/notices`).catch((err) => {
    if (err.status === 503) return { notices: [], unavailable: err.message };
    throw err;
  });
  const changed = JSON.stringify(body.notices) !== JSON.stringify(app.roleNotices);
  app.roleNotices = body.notices;
  app.roleNoticesUnavailable = body.unavailable || null;
  renderRoleNotices(app, { list: changed });
}

function panel() {
  let box = document.getElementById(PANEL_ID);
  if (!box) {
    box = h(
      "section",
      { id: PANEL_ID, class: "role-notices", "aria-labelledby": `${PANEL_ID}-title`, hidden: true },
      h("h2", { id: `${PANEL_ID}-title` }),
      h("div", { id: `${PANEL_ID}-list`, class: "notices" }),
    );
  }
  return box;
}

/**
 * Put the panel under the current view's heading and draw it (also after a language switch).
 * @param {import("../types.js").App} app
 */
export function renderRoleNotices(app, { list = true } = {}) {
  const box = panel();
  const view = app.view && document.getElementById(`view-${app.view}`);
  if (!wantsRoleNotices(app) || !view || app.roleNotices === null || app.roleNotices === undefined) {
    box.hidden = true;
    return;
  }
  const heading = view.querySelector("h1");
  if (heading && box.previousElementSibling !== heading) heading.after(box);
  box.hidden = false;
  /** @type {HTMLElement} */ (box.querySelector("h2")).textContent = t("roleNotices.title");
  if (list) {
    const redraw = () => renderRoleNotices(app);
    const items = /** @type {HTMLElement} */ (box.querySelector(".notices"));
    noticeList(app, items, app.roleNotices, app.roleNoticesUnavailable, "role-notice", redraw);
  }
}

/**
 * Forget the notices of a session that ended.
 * @param {import("../types.js").App} app
 */
export function clearRoleNotices(app) {
  app.roleNotices = null;
  app.roleNoticesUnavailable = null;
  fill(/** @type {HTMLElement} */ (panel().querySelector(".notices")));
  renderRoleNotices(app);
}
