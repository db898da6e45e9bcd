// @ts-check
// Evaluators: the officials' queue (GET /v1/confirmations/queue) and confirming by record id.
// A confirmation is an EIP-712 Confirmation over the sorted record ids, the kind and a deadline.
import { sessionOf, configOf } from "../session.js";
import { all, h, fill, byId } from "../dom.js";
import { t, lang } from "../i18n.js";
import { day, short, ZERO32, withLinks } from "../format.js";
import { typedData, kindsFor, OFFICIAL_ROLES } from "../typed.js";
import { rejectAction } from "./reject.js";
import { queueTitle, queueReport, queueBy } from "./report.js";
import { showClaimDetail } from "./claim_detail.js";

const CONFIRM_VALID_SECONDS = 7 * 86400;
const RECORD_ID = /^0x[0-9a-fA-F]{64}$/;
const rejections = new Map(); // record id -> the reject action of its queue item
/** @type {string | null} the language the queue was drawn in */
let drawnIn = null;

/** @param {import("../types.js").App} app */
function isOfficial(app) {
  return sessionOf(app).roles.some((r) => OFFICIAL_ROLES.includes(r));
}

/**
 * Fill the "confirm as" choices (again after a language switch).
 * @param {import("../types.js").App} app
 */
export function renderKinds(app) {
  const select = byId("confirm-kind", HTMLSelectElement);
  const current = select.value;
  const kinds = kindsFor(sessionOf(app).roles);
  fill(select, kinds.map((k) => h("option", { value: k.kind }, t(`kind.${k.name.toLowerCase()}`))));
  if (current && kinds.some((k) => String(k.kind) === current)) select.value = current;
  byId("confirm-submit", HTMLButtonElement).disabled = !kinds.length;
  byId("reject-by-id", HTMLButtonElement).disabled = !kinds.length;
  byId("queue-section").hidden = !isOfficial(app);
}

/**
 * Load and draw the queue (officials only).
 * @param {import("../types.js").App} app
 */
export async function loadQueue(app) {
  renderKinds(app);
  if (!isOfficial(app)) return;
  const out = await app.api.get("/v1/confirmations/queue");
  app.queue = out.claims;
  renderQueue(app);
}

/** @param {import("../types.js").App} app */
export function renderQueue(app) {
  if (!app.queue) return;
  // never redraw under a half-written rejection (it would take the focus away), unless the
  // language changed: then redraw and put it back
  const writing = [...rejections].map(([id, action]) => [id, action.state()]).filter(([, s]) => s);
  if (writing.length && drawnIn === lang()) return;
  drawnIn = lang();
  rejections.clear();
  const items = app.queue;
  fill(
    byId("queue"),
    items.length ? h("ul", { class: "queue" }, items.map((/** @type {import("../types.js").Json} */ c) => queueItem(app, c))) : h("p", { class: "muted" }, t("confirm.empty")),
  );
  for (const [id, saved] of writing) rejections.get(id)?.restore(saved);
}

/**
 * @param {import("../types.js").App} app
 * @param {import("../types.js").Json} c a claim of the queue
 */
function queueItem(app, c) {
  const k = c.confirmations;
  const reject = rejectAction(app, { recordId: () => c.record_id, kind: chosenKind, done: () => afterRejection(app) });
  rejections.set(c.record_id, reject);
  const titleId = `q-${c.record_id.slice(2, 12)}`;
  return h(
    "li",
    { class: "card queue-item", dataset: { record: c.record_id, kind: c.reporter ? "report" : "claim" }, "aria-labelledby": titleId },
    h("h3", { id: titleId }, queueTitle(app, c)),
    queueReport(app, c),
    h(
      "p",
      {},
      withLinks(queueBy(app, c) || t("confirm.by", { resident: short(c.resident, 8), date: day(c.occurred_at) }), [["address", c.resident], ...(c.reporter ? [/** @type {[string, string]} */ (["address", c.reporter])] : [])]),
      k ? [" · ", t("claim.waitingDetail", { count: k.count, needed: k.needed.count, weight: k.weight, threshold: k.needed.weight })] : null,
    ),
    c.evidence && c.evidence !== ZERO32
      ? h("p", { class: "small" }, t("confirm.evidence"), " ", h("code", { class: "hash" }, short(c.evidence, 10)))
      : null,
    h("p", { class: "small muted" }, t("claim.recordId"), " ", h("code", { class: "hash" }, c.record_id)),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "primary", onclick: () => confirm(app, c.record_id) }, t("confirm.confirm")),
      h("button", { type: "button", class: "show-details", onclick: () => showClaimDetail(app, c.record_id).catch((err) => app.fail(err)) }, t("detail.show")),
      reject.open,
    ),
    reject.form,
  );
}

/** The evaluator kind chosen under "Confirm as" (also the kind a rejection is signed as). */
function chosenKind() {
  return Number(byId("confirm-kind", HTMLSelectElement).value);
}

/** @param {import("../types.js").App} app */
async function afterRejection(app) {
  if (isOfficial(app)) await loadQueue(app);
}

/**
 * Wire the record-id form and the refresh button once.
 * @param {import("../types.js").App} app
 */
export function mountConfirm(app) {
  app.confirmClaim = (/** @type {string} */ recordId) => confirm(app, recordId); // the claim detail panel's Confirm
  byId("confirm-form", HTMLFormElement).addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = byId("confirm-record", HTMLInputElement);
    const id = input.value.trim();
    if (!RECORD_ID.test(id)) {
      byId("confirm-progress").textContent = t("confirm.badId");
      input.focus();
      return;
    }
    if (await confirm(app, id)) input.value = "";
  });
  byId("queue-refresh", HTMLButtonElement).addEventListener("click", () => loadQueue(app).catch((err) => app.fail(err)));
  // the claim whose id is typed above can be rejected instead of confirmed
  const input = byId("confirm-record", HTMLInputElement);
  const reject = rejectAction(app, {
    recordId: () => {
      const id = input.value.trim();
      if (RECORD_ID.test(id)) return id;
      byId("confirm-progress").textContent = t("confirm.badId");
      input.focus();
      return null;
    },
    kind: chosenKind,
    done: async () => {
      input.value = "";
      await afterRejection(app);
    },
  });
  reject.open.id = "reject-by-id";
  byId("confirm-submit", HTMLButtonElement).after(" ", reject.open);
  byId("confirm-form", HTMLFormElement).after(reject.form);
}

/**
 * @param {import("../types.js").App} app
 * @param {string} recordId
 */
async function confirm(app, recordId) {
  const progress = byId("confirm-progress");
  const kind = chosenKind();
  const buttons = /** @type {HTMLButtonElement[]} */ (all("#view-confirm button"));
  buttons.forEach((b) => (b.disabled = true));
  try {
    const nonces = await app.api.get(`/v1/residents/${sessionOf(app).address}/nonces`);
    const message = { records: [recordId.toLowerCase()], kind, deadline: nonces.chain_time + CONFIRM_VALID_SECONDS };
    progress.textContent = t("progress.wallet");
    const signature = await app.signData(typedData(configOf(app), "Confirmation", message));
    if (!signature) {
      progress.textContent = "";
      return false;
    }
    progress.textContent = t("progress.sending");
    const out = await app.api.post("/v1/confirmations", {
      evaluator: sessionOf(app).address,
      records: message.records,
      kind,
      deadline: message.deadline,
      signature,
    });
    const status = out.claims && out.claims[0] ? out.claims[0].status : "waiting";
    progress.textContent = "";
    app.say(() => t("confirm.done", { status: t(`claim.status.${status}`) }), "success");
    if (isOfficial(app)) await loadQueue(app);
    return true;
  } catch (err) {
    progress.textContent = "";
    app.fail(err);
    return false;
  } finally {
    buttons.forEach((b) => (b.disabled = false));
    renderKinds(app);
  }
}
