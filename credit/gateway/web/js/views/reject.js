// @ts-check
// Rejecting a claim with a reason: an EIP-712 Rejection(recordId, kind, reason, note) signed in
// the wallet, where ``note`` is the keccak-256 of the text the resident will read.
import { sessionOf, configOf } from "../session.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { typedData } from "../typed.js";
import { keccakText } from "../verify/hash.js";

// The order is the signed ``reason`` number: keep it as the gateway's REJECTION_REASONS.
export const REASONS = ["did_not_happen", "wrong_amount", "wrong_date", "not_enough_evidence", "other"];
const NOTE_MAX = 500; // as the gateway's MAX_NOTE_CHARS (and the "reject.noteHint" text)
let forms = 0;

/** A "Reject" button and its small form (hidden until the button is pressed).
 *  ``recordId()`` gives the claim's id when the form is sent; ``kind()`` the evaluator kind;
 *  ``done()`` runs after the gateway accepted the rejection.
 * @param {import("../types.js").App} app
 * @param {{recordId: () => string | null, kind: () => number, done: (recordId: string) => unknown}} hooks
 */
export function rejectAction(app, { recordId, kind, done }) {
  const n = ++forms;
  const reason = h(
    "select",
    { id: `reject-reason-${n}`, class: "reject-reason", required: true },
    REASONS.map((r) => h("option", { value: r, "data-i18n": `reject.reason.${r}` }, t(`reject.reason.${r}`))),
  );
  const note = h("textarea", { id: `reject-note-${n}`, class: "reject-note", rows: "2", maxlength: String(NOTE_MAX) });
  const progress = h("p", { class: "progress", role: "status", "aria-live": "polite" });
  // texts carry data-i18n: a language switch translates them in place (setLang)
  const send = h("button", { type: "submit", class: "danger", "data-i18n": "reject.sign" }, t("reject.sign"));
  const cancel = h("button", { type: "button", class: "ghost", "data-i18n": "reject.cancel" }, t("reject.cancel"));
  const form = h(
    "form",
    { class: "form reject-form", hidden: true, novalidate: true },
    h("div", { class: "field" }, h("label", { for: reason.id, "data-i18n": "reject.reason" }, t("reject.reason")), reason),
    h(
      "div",
      { class: "field" },
      h("label", { for: note.id, "data-i18n": "reject.note" }, t("reject.note")),
      note,
      h("p", { class: "hint", "data-i18n": "reject.noteHint" }, t("reject.noteHint")),
    ),
    h("div", { class: "actions" }, send, cancel),
    progress,
  );
  const open = h("button", { type: "button", class: "ghost reject-open", "aria-expanded": "false", "data-i18n": "reject.open" }, t("reject.open"));
  /** @param {HTMLElement["hidden"]} on whether to show the form */
  const show = (on) => {
    form.hidden = !on;
    open.setAttribute("aria-expanded", String(on));
    if (on) reason.focus();
  };
  open.addEventListener("click", () => show(form.hidden));
  cancel.addEventListener("click", () => {
    show(false);
    open.focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = recordId();
    if (!id) return;
    send.disabled = true;
    try {
      const ok = await rejectClaim(app, id, kind(), reason.value, note.value.trim(), progress);
      if (ok) {
        form.reset();
        show(false);
        await done(id);
      }
    } catch (err) {
      progress.textContent = "";
      app.fail(err);
    } finally {
      send.disabled = false;
    }
  });
  /** What the evaluator has typed so far, and putting it back (after a redraw). */
  const state = () => (form.hidden || !form.isConnected ? null : { reason: reason.value, note: note.value });
  /** @param {{reason: string, note: string} | null} saved */
  const restore = (saved) => {
    if (!saved) return;
    reason.value = saved.reason;
    note.value = saved.note;
    form.hidden = false;
    open.setAttribute("aria-expanded", "true");
  };
  return { open, form, state, restore };
}

/**
 * Sign and send a rejection; true once the gateway accepted it.
 * @param {import("../types.js").App} app
 * @param {string} recordId
 * @param {number} kind the evaluator kind
 * @param {string} reason one of REASONS
 * @param {string} note the words the resident will read
 * @param {HTMLElement} progress
 */
async function rejectClaim(app, recordId, kind, reason, note, progress) {
  const id = recordId.toLowerCase();
  const message = {
    recordId: id,
    kind,
    reason: REASONS.indexOf(reason),
    note: keccakText(note),
  };
  progress.textContent = t("progress.wallet");
  const signature = await app.signData(typedData(configOf(app), "Rejection", message));
  if (!signature) {
    progress.textContent = "";
    return false;
  }
  progress.textContent = t("progress.sending");
  await app.api.post(`/v1/claims/${id}/rejections`, { evaluator: sessionOf(app).address, kind, reason, note, signature });
  progress.textContent = "";
  app.say(() => t("reject.done"), "success");
  return true;
}
