// Appealing a violation: the statement is stored as evidence, its commitment is signed (EIP-712
// Appeal with the account nonce) and the gateway relays it to the ledger.
import { h } from "../dom.js";
import { t, categoryTitle } from "../i18n.js";
import { day, dayTime, short } from "../format.js";
import { typedData } from "../typed.js";

const APPEAL_DEADLINE_SECONDS = 3600; // how long the signature stays valid

/** The records of notice ``n`` that can still be appealed (recorded, window open). */
function appealable(app, n) {
  const byId = new Map((app.summary.records || []).map((r) => [r.record_id, r]));
  return (n.appeal.record_ids || [])
    .map((id) => byId.get(id))
    .filter((r) => r && r.kind === "violation" && r.status === "recorded" && r.appeal_deadline > app.summary.as_of_time);
}

/** The (hidden) appeal form of notice ``n``. */
export function appealForm(app, n, i) {
  const records = appealable(app, n);
  const selectId = `appeal-record-${i}`;
  const textId = `appeal-statement-${i}`;
  const progress = h("p", { class: "progress", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "appeal-form form", hidden: true, novalidate: true });
  if (!records.length) {
    form.append(h("p", { class: "muted" }, t("appeal.nothing")));
    return form;
  }
  const select = h(
    "select",
    { id: selectId, required: true },
    records.map((r) =>
      h("option", { value: r.record_id }, `${categoryTitle(app.config, r.category)} · ${day(r.block_time)} · −${r.deducted} · ${short(r.record_id, 8)}`),
    ),
  );
  const text = h("textarea", { id: textId, rows: 3, required: true, "aria-describedby": `${textId}-hint` });
  const submit = h("button", { type: "submit", class: "primary" }, t("appeal.submit"));
  const cancel = h("button", { type: "button", class: "ghost" }, t("appeal.cancel"));
  cancel.addEventListener("click", () => {
    form.hidden = true;
  });
  form.append(
    h("div", { class: "field" }, h("label", { for: selectId }, t("appeal.record")), select),
    h("p", { class: "small" }, t("appeal.deadline", { date: dayTime(records[0].appeal_deadline) })),
    h(
      "div",
      { class: "field" },
      h("label", { for: textId }, t("appeal.statement")),
      text,
      h("p", { class: "hint", id: `${textId}-hint` }, t("appeal.statementHint")),
    ),
    h("div", { class: "actions" }, submit, cancel),
    progress,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const statement = text.value.trim();
    if (!statement) {
      progress.textContent = t("appeal.needStatement");
      text.focus();
      return;
    }
    submit.disabled = true;
    try {
      const result = await fileAppeal(app, select.value, statement, progress);
      if (result) {
        form.hidden = true;
        app.say(() => t("appeal.filed", { tx: result.tx_hash }), "success");
        app.refreshSoon(0);
      }
    } catch (err) {
      progress.textContent = "";
      app.fail(err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

async function fileAppeal(app, recordId, statement, progress) {
  const address = app.session.address;
  progress.textContent = t("appeal.storing");
  const evidence = await app.api.request("POST", "/v1/evidence", {
    body: statement,
    contentType: "text/plain; charset=utf-8",
  });
  const nonces = await app.api.get(`/v1/residents/${address}/nonces`);
  const message = {
    recordId,
    statement: evidence.commitment,
    nonce: nonces.account_nonce,
    deadline: nonces.chain_time + APPEAL_DEADLINE_SECONDS,
  };
  progress.textContent = t("progress.wallet");
  const signature = await app.sign(() => app.wallet.signTypedData(app.account, typedData(app.config, "Appeal", message)));
  if (!signature) {
    progress.textContent = "";
    return null;
  }
  progress.textContent = t("progress.sending");
  const out = await app.api.post("/v1/appeals", {
    record_id: recordId,
    statement: message.statement,
    nonce: message.nonce,
    deadline: message.deadline,
    signature,
  });
  progress.textContent = "";
  return out;
}
