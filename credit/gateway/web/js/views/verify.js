// @ts-check
// "Verify the ledger": the resident's computer replays the last period's events in a Web Worker
// (js/verify/worker.js), computes the period's root, and takes part in commit-reveal with its
// wallet: it signs an EIP-712 Commit of keccak256(abi.encode(root, salt, resident)) that the
// gateway relays (no gas), then reveals root and salt in the reveal window. The salt is kept in
// localStorage per verifier, period and account, so a reload or another day can still reveal.
// Where the city runs private proofs, the same replay also gives the period's Poseidon credit
// root, sealed and opened the same way on its own verifier contract (track "poseidon"): one more
// signature when sealing, nothing more when opening.
import { sessionOf, configOf } from "../session.js";
import { h, fill, byId } from "../dom.js";
import { t, categoryTitle } from "../i18n.js";
import { short } from "../format.js";
import { keccak, fromHex, toHex } from "../verify/hash.js";

/** @typedef {import("../types.js").Json} Json */

const DOMAIN_FIELDS = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
];
const COMMIT_TYPE = [
  { name: "epoch", type: "uint24" },
  { name: "commitment", type: "bytes32" },
  { name: "deadline", type: "uint256" },
];

/** ``keccak256(abi.encode(bytes32 root, bytes32 salt, address resident))``. */
export function commitmentOf(/** @type {string} */ root, /** @type {string} */ salt, /** @type {string} */ resident) {
  const encoded = new Uint8Array(96);
  encoded.set(fromHex(root), 0);
  encoded.set(fromHex(salt), 32);
  encoded.set(fromHex(resident), 76);
  return toHex(keccak(encoded));
}

function ballotKey(/** @type {string} */ verifier, /** @type {number} */ epoch, /** @type {string} */ account) {
  return `cc.verify.${String(verifier).toLowerCase()}.${epoch}.${account.toLowerCase()}`;
}

function loadBallot(/** @type {string} */ verifier, /** @type {number} */ epoch, /** @type {string} */ account) {
  try {
    return JSON.parse(localStorage.getItem(ballotKey(verifier, epoch, account)) || "null");
  } catch {
    return null;
  }
}

function saveBallot(/** @type {string} */ verifier, /** @type {number} */ epoch, /** @type {string} */ account, /** @type {Json} */ ballot) {
  localStorage.setItem(ballotKey(verifier, epoch, account), JSON.stringify(ballot));
}

/**
 * The roots this page seals and opens for a period: the state root, then (with private proofs)
 * the Poseidon credit root. `status` is the period on that track's verifier.
 * @param {import("../types.js").App} app
 * @returns {{track: string, verifier: string, status: Json, root: string | null}[]}
 */
function tracks(app) {
  const s = state(app);
  const all = [{ track: "state", verifier: s.info.verifier, status: s.epoch, root: computedRoot(app) }];
  if (s.info.poseidon_verifier && s.poseidon) {
    all.push({ track: "poseidon", verifier: s.info.poseidon_verifier, status: s.poseidon, root: computedRoot(app, "poseidon") });
  }
  return all;
}

/** This account's ballot in a track's period status, if any. */
function mineIn(/** @type {import("../types.js").App} */ app, /** @type {Json} */ status) {
  const address = sessionOf(app).address.toLowerCase();
  return (status && status.verifiers.find((/** @type {Json} */ v) => v.address.toLowerCase() === address)) || null;
}

const revealedText = () => t("verify.revealed");

/** @param {import("../types.js").App} app */
function state(app) {
  if (!app.verify) app.verify = { info: null, epoch: null, poseidon: null, computing: null, progress: null, error: null, busy: false };
  return app.verify;
}

/** The period a resident verifies now: the one that ended last (none before the first ends). */
function targetEpoch(/** @type {Json} */ info) {
  return info.current_epoch > 0 ? info.current_epoch - 1 : null;
}

/** @param {import("../types.js").App} app */
export async function loadVerify(app) {
  const s = state(app);
  s.info = await app.api.get("/v1/verification");
  const epoch = s.info.verifier ? targetEpoch(s.info) : null;
  s.epoch = epoch === null ? null : await app.api.get(`/v1/verification/epochs/${epoch}`);
  s.poseidon = epoch === null || !s.info.poseidon_verifier ? null : await app.api.get(`/v1/verification/epochs/${epoch}?track=poseidon`);
  const settled = s.epoch && (s.epoch.phase === "finalised" || s.epoch.phase === "no_consensus");
  if (settled && app.message && app.message.message === revealedText) byId("message").hidden = true; // the result is here
  renderVerify(app);
}

function localTime(/** @type {number} */ seconds) {
  return new Date(Number(seconds) * 1000).toLocaleString(document.documentElement.lang || undefined, {
    dateStyle: "medium",
    timeStyle: "short",
  });
}

function localDay(/** @type {number} */ seconds) {
  return new Date(Number(seconds) * 1000).toLocaleDateString(document.documentElement.lang || undefined, { dateStyle: "medium" });
}

function periodStart(/** @type {Json} */ info, /** @type {number} */ epoch) {
  return info.genesis + epoch * info.epoch_length;
}

/** @param {import("../types.js").App} app */
function me(app) {
  return mineIn(app, state(app).epoch);
}

/**
 * Whether every track's ballot of this account has `key` ("committed" or "revealed"); for
 * "revealed", a further track never sealed (a root missed) does not hold the state root back.
 */
function allMine(/** @type {import("../types.js").App} */ app, /** @type {string} */ key) {
  return tracks(app).every((tr) => {
    const mine = mineIn(app, tr.status);
    if (key === "revealed" && tr.track !== "state" && !(mine && mine.committed)) return true;
    return Boolean(mine && mine[key]);
  });
}

/**
 * Replay the period in a Web Worker; resolves when the root is known.
 * @param {import("../types.js").App} app
 */
function compute(app) {
  const s = state(app);
  const epoch = s.epoch.epoch;
  s.error = null;
  s.computing = { epoch, root: null, started: performance.now() };
  s.progress = { phase: "blocks", done: 0, total: 1 };
  renderVerify(app);
  const worker = new Worker(new URL("../verify/worker.js", import.meta.url), { type: "module" });
  /** @type {Json} */
  const deployment = { ledger: s.info.ledger, ruleBook: s.info.rule_book, startBlock: s.info.start_block };
  if (s.info.identity_registry && s.info.poseidon_verifier) deployment.identityRegistry = s.info.identity_registry;
  worker.onmessage = (m) => {
    const d = m.data;
    if (d.type === "progress") s.progress = d;
    else {
      worker.terminate();
      if (d.type === "done") {
        s.computing = { epoch, root: d.root, poseidonRoot: d.poseidonRoot, seconds: d.seconds, residents: d.residents, events: d.events };
        const account = sessionOf(app).address;
        const found = [[s.info.verifier, d.root]];
        if (d.poseidonRoot && s.info.poseidon_verifier) found.push([s.info.poseidon_verifier, d.poseidonRoot]);
        for (const [verifier, root] of found) {
          const ballot = loadBallot(verifier, epoch, account) || {};
          if (!ballot.committed) saveBallot(verifier, epoch, account, { ...ballot, root });
        }
      } else {
        s.computing = null;
        s.error = d.message;
      }
    }
    renderVerify(app);
  };
  worker.onerror = (e) => {
    worker.terminate();
    s.computing = null;
    s.error = e.message || "the worker stopped";
    renderVerify(app);
  };
  worker.postMessage({ rpcUrl: "/rpc", deployment, epoch });
}

function randomSalt() {
  const salt = new Uint8Array(32);
  crypto.getRandomValues(salt);
  return toHex(salt);
}

/** @param {import("../types.js").App} app */
async function commit(app) {
  const s = state(app);
  const epoch = s.epoch.epoch;
  const account = sessionOf(app).address;
  const deadline = s.epoch.reveal_opens; // chain time: the signature is useless once sealing ends
  await busyWhile(app, async () => {
    // Each root not sealed yet, the state root first: a failure leaves the others to a retry.
    for (const tr of tracks(app)) {
      const mine = mineIn(app, tr.status);
      if ((mine && mine.committed) || !tr.root) continue;
      const ballot = loadBallot(tr.verifier, epoch, account) || {};
      const salt = ballot.salt && ballot.root === tr.root ? ballot.salt : randomSalt();
      saveBallot(tr.verifier, epoch, account, { root: tr.root, salt }); // kept before signing: the reveal needs it
      const commitment = commitmentOf(tr.root, salt, account);
      const typed = {
        types: { EIP712Domain: DOMAIN_FIELDS, Commit: COMMIT_TYPE },
        primaryType: "Commit",
        domain: { name: "EpochVerifier", version: "1", chainId: s.info.chain_id, verifyingContract: tr.verifier },
        message: { epoch, commitment, deadline: String(deadline) },
      };
      app.say(() => t(tr.track === "state" ? "verify.signing" : "verify.signingPoseidon"), "info");
      const signature = await app.signData(typed);
      if (!signature) return;
      const out = await app.api.post("/v1/verification/commits", { epoch, resident: account, commitment, deadline, signature, track: tr.track });
      saveBallot(tr.verifier, epoch, account, { root: tr.root, salt, committed: out.tx_hash });
    }
    app.say(() => t("verify.committed"), "success");
    await loadVerify(app);
  });
}

/** @param {import("../types.js").App} app */
async function reveal(app) {
  const s = state(app);
  const epoch = s.epoch.epoch;
  const account = sessionOf(app).address;
  const due = tracks(app).filter((tr) => {
    const mine = mineIn(app, tr.status);
    return mine && mine.committed && !mine.revealed;
  });
  const ballots = due.map((tr) => loadBallot(tr.verifier, epoch, account));
  if (ballots.some((b) => !b || !b.salt)) {
    app.say(() => t("verify.lostSalt"), "error");
    return;
  }
  await busyWhile(app, async () => {
    for (const [i, tr] of due.entries()) {
      const ballot = ballots[i];
      const out = await app.api.post("/v1/verification/reveals", { epoch, resident: account, root: ballot.root, salt: ballot.salt, track: tr.track });
      saveBallot(tr.verifier, epoch, account, { ...ballot, revealed: out.tx_hash });
    }
    app.say(revealedText, "success");
    await loadVerify(app);
  });
}

/**
 * Run ``action`` with the page's buttons off (``busy``), telling a failure in the error banner.
 * @param {import("../types.js").App} app
 * @param {() => Promise<void>} action
 */
async function busyWhile(app, action) {
  const s = state(app);
  s.busy = true;
  renderVerify(app);
  try {
    await action();
  } catch (err) {
    app.fail(err);
  } finally {
    s.busy = false;
    renderVerify(app);
  }
}

function row(/** @type {string} */ label, /** @type {import('../dom.js').Child} */ value) {
  return h("div", { class: "kv" }, h("dt", {}, label), h("dd", {}, value));
}

/** @param {import("../types.js").App} app */
function explanation(app) {
  const s = state(app);
  const category = configOf(app).rules.categories.find((c) => c.id === Number(s.info.category));
  const points = category ? category.points_per_unit : "?";
  return [
    h("p", {}, t("verify.intro")),
    h("p", {}, t("verify.earns", { points, category: categoryTitle(app.config, s.info.category), quorum: s.info.quorum })),
  ];
}

function windows(/** @type {Json} */ e) {
  return h(
    "dl",
    { class: "windows" },
    row(t("verify.window.commit"), t("verify.window.range", { from: localTime(e.commit_opens), to: localTime(e.reveal_opens) })),
    row(t("verify.window.reveal"), t("verify.window.range", { from: localTime(e.reveal_opens), to: localTime(e.reveal_closes) })),
    row(t("verify.window.result"), t("verify.window.from", { from: localTime(e.reveal_closes) })),
  );
}

/**
 * The root this browser computed for the period (this visit, or kept from an earlier one): the
 * state root, or with `track` "poseidon" the Poseidon credit root.
 * @param {import("../types.js").App} app
 * @param {string} [track]
 */
function computedRoot(app, track = "state") {
  const s = state(app);
  const epoch = s.epoch.epoch;
  const poseidon = track === "poseidon";
  if (s.computing && s.computing.epoch === epoch && s.computing.root) return (poseidon ? s.computing.poseidonRoot : s.computing.root) || null;
  const verifier = poseidon ? s.info.poseidon_verifier : s.info.verifier;
  if (!verifier) return null;
  const ballot = loadBallot(verifier, epoch, sessionOf(app).address);
  return (ballot && ballot.root) || null;
}

/** The Poseidon root line (private proofs), when this browser knows one. */
function poseidonLine(/** @type {import("../types.js").App} */ app) {
  const root = state(app).info.poseidon_verifier ? computedRoot(app, "poseidon") : null;
  return root ? [h("p", {}, t("verify.yourPoseidonRoot"), " ", h("code", { id: "verify-poseidon-root", class: "hash" }, root))] : [];
}

/** @param {import("../types.js").App} app */
function computeSection(app) {
  const s = state(app);
  const e = s.epoch;
  const known = s.computing && s.computing.epoch === e.epoch ? s.computing : null;
  const kept = computedRoot(app);
  /** @type {HTMLElement[]} */
  const parts = [h("h2", {}, t("verify.step.compute"))];
  if (known && known.root === null) {
    const p = s.progress || { phase: "blocks", done: 0, total: 1 };
    const share = p.total ? Math.min(1, p.done / p.total) : 0;
    /** @type {Record<string, number[]>} */
    const weights = { blocks: [0, 0.05], logs: [0.05, 0.5], times: [0.55, 0.35], state: [0.9, 0.04], root: [0.94, 0.03], poseidon: [0.97, 0.03] };
    const [base, span] = weights[p.phase] || [0, 1];
    const value = Math.round(100 * (base + span * share));
    parts.push(
      h("progress", { id: "verify-progress", max: "100", value: String(value), "aria-label": t("verify.progress") }),
      h("p", { class: "progress", role: "status" }, t(`verify.phase.${p.phase}`)),
    );
  } else if (known) {
    parts.push(
      h("p", {}, t("verify.computed", { residents: known.residents, events: known.events, seconds: known.seconds.toFixed(1) })),
      h("p", {}, t("verify.yourRoot"), " ", h("code", { id: "verify-root", class: "hash" }, known.root)),
      ...poseidonLine(app),
    );
  } else if (kept) {
    parts.push(h("p", {}, t("verify.yourRoot"), " ", h("code", { id: "verify-root", class: "hash" }, kept)), ...poseidonLine(app));
  }
  if (s.error) parts.push(h("p", { class: "notice-box", role: "alert" }, t("verify.failed", { reason: s.error })));
  if (!(known && known.root === null) && !allMine(app, "committed")) {
    parts.push(
      h("button", { id: "verify-compute", type: "button", class: kept ? "" : "primary", onclick: () => compute(app) }, t(kept ? "verify.again" : "verify.compute")),
    );
  }
  return h("section", { class: "card step" }, parts);
}

/**
 * A step's card: its title and hint, then a "done" line once every ballot of the resident's is
 * `status`, else what `rest` adds.
 * @param {import("../types.js").App} app
 * @param {"commit" | "reveal"} step
 * @param {"committed" | "revealed"} status
 * @param {() => HTMLElement[]} rest
 */
function stepSection(app, step, status, rest) {
  /** @type {HTMLElement[]} */
  const parts = [h("h2", {}, t(`verify.step.${step}`)), h("p", { class: "hint" }, t(`verify.${step}Hint`))];
  if (allMine(app, status)) parts.push(h("p", { class: "done" }, t(`verify.status.${status}`)));
  else parts.push(...rest());
  return h("section", { class: "card step" }, parts);
}

/** @param {import("../types.js").App} app */
function commitSection(app) {
  const s = state(app);
  const e = s.epoch;
  const known = computedRoot(app);
  return stepSection(app, "commit", "committed", () => {
    if (e.phase !== "committing") return [h("p", { class: "muted" }, t(e.phase === "open" ? "verify.notYet" : "verify.commitClosed"))];
    const button = h("button", { id: "verify-commit", type: "button", class: "primary", disabled: !known || s.busy, onclick: () => commit(app) }, t("verify.commit"));
    return known ? [button] : [button, h("p", { class: "hint" }, t("verify.computeFirst"))];
  });
}

/** @param {import("../types.js").App} app */
function revealSection(app) {
  const s = state(app);
  const e = s.epoch;
  const mine = me(app);
  return stepSection(app, "reveal", "revealed", () => {
    if (!(mine && mine.committed)) return [h("p", { class: "muted" }, t("verify.revealNeedsCommit"))];
    if (e.phase === "revealing") {
      return [h("button", { id: "verify-reveal", type: "button", class: "primary", disabled: s.busy, onclick: () => reveal(app) }, t("verify.reveal"))];
    }
    if (e.phase === "committing") return [h("p", { class: "muted" }, t("verify.revealOpens", { at: localTime(e.reveal_opens) }))];
    return [h("p", { class: "muted" }, t("verify.revealClosed"))];
  });
}

/** @param {import("../types.js").App} app */
function resultSection(app) {
  const s = state(app);
  const e = s.epoch;
  const mine = me(app);
  const category = configOf(app).rules.categories.find((c) => c.id === Number(s.info.category));
  const points = category ? category.points_per_unit : "?";
  const parts = [h("h2", {}, t("verify.step.result"))];
  if (e.phase === "finalised" && e.root) {
    parts.push(h("p", {}, t("verify.consensus", { reveals: e.reveals }), " ", h("code", { id: "verify-consensus", class: "hash" }, e.root)));
    const p = s.poseidon;
    if (p && p.phase === "finalised" && p.root) {
      parts.push(h("p", {}, t("verify.poseidonConsensus", { reveals: p.reveals }), " ", h("code", { id: "verify-poseidon-consensus", class: "hash" }, p.root)));
    }
  } else if (e.phase === "no_consensus") parts.push(h("p", {}, t("verify.noConsensus", { quorum: e.quorum })));
  else parts.push(h("p", { class: "muted" }, t("verify.resultLater", { reveals: e.reveals, quorum: e.quorum })));
  if (mine && mine.revealed && mine.agreed !== null && mine.agreed !== undefined) {
    if (mine.agreed) {
      parts.push(
        h("p", { id: "verify-outcome", class: "outcome agreed" }, t("verify.agreed")),
        h("p", { id: "verify-credit", class: "earned" }, mine.credited ? t("verify.credited", { points }) : t("verify.crediting", { points })),
      );
    } else parts.push(h("p", { id: "verify-outcome", class: "outcome disagreed" }, t("verify.disagreed")));
  }
  return h("section", { class: "card step outcome-card" }, parts);
}

/** @param {import("../types.js").App} app */
export function renderVerify(app) {
  const s = app.verify;
  const box = document.getElementById("verify-body");
  if (!s || !s.info || !box) return;
  if (!s.info.verifier) {
    fill(box, h("p", { class: "notice-box" }, t("verify.notSetUp")));
    return;
  }
  if (!s.epoch) {
    fill(box, explanation(app), h("p", { class: "muted" }, t("verify.firstPeriod")));
    return;
  }
  const e = s.epoch;
  fill(
    box,
    explanation(app),
    h(
      "section",
      { class: "card", "aria-labelledby": "verify-period" },
      h("h2", { id: "verify-period" }, t("verify.period", { epoch: e.epoch, from: localDay(periodStart(s.info, e.epoch)), to: localDay(periodStart(s.info, e.epoch + 1)) })),
      h("p", { id: "verify-phase", dataset: { phase: e.phase } }, h("strong", {}, t(`verify.phase.is.${e.phase}`))),
      windows(e),
    ),
    h("div", { class: "steps-grid" }, computeSection(app), commitSection(app), revealSection(app), resultSection(app)),
    h("p", { class: "muted small" }, t("verify.contract", { address: short(s.info.verifier, 8) })),
  );
}
