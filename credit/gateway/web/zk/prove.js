// "Prove my credit": derive the identity secret from a wallet signature, register its commitment
// (once, relayed by the gateway), find the resident's leaf among a finalised period's public
// Poseidon leaves, prove in a Web Worker (prove_worker.js), and hand the proof over as a QR code,
// a link to the check page, or a pass of the gate relayed by the gateway.
// The gates, finalised periods and leaves come from this gateway (GET /v1/zk, /v1/zk/epochs/E/
// leaves). A service's own link may name them instead: ?gate=&chain=&label=&threshold=&epoch=
// &leaves=&recipient= (leaves: a URL of the period's JSON [{commitment, credit}]).
import qrcode from "./assets/qrcode.mjs";
import { identityCommitment, nullifierOf, scopeOf, secretFromSignature, secretMessage } from "../js/verify/zk_identity.js";
import { poseidonPath, poseidonRoot } from "../js/verify/poseidon.js";
import { encodeBundle } from "../js/verify/zk_bundle.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let overview = null; // GET /v1/zk, when this gateway has private proofs
let identity = null; // {account, secret, commitment}: kept in this page only
let lastBundle = null;

async function apiError(response) {
  try {
    const { error } = await response.json();
    return new Error(`${error.message} (${error.code})`);
  } catch {
    return new Error(`the gateway answered ${response.status}`);
  }
}

async function loadOverview() {
  try {
    const response = await fetch("/v1/zk");
    if (response.ok) overview = await response.json();
  } catch {
    overview = null;
  }
  const gates = overview ? overview.gates : [];
  for (const g of gates) {
    const option = document.createElement("option");
    option.value = g.address;
    option.textContent = g.name;
    $("gate").append(option);
  }
  if (params.get("gate")) $("gate").value = params.get("gate");
  $("gate-field").hidden = gates.length === 0;
  $("register").disabled = !overview;
  showRequest();
}

function currentRequest() {
  const address = $("gate").value || params.get("gate") || "";
  const listed = overview && overview.gates.find((g) => g.address.toLowerCase() === address.toLowerCase());
  const newest = overview && overview.finalised_epochs[0];
  const epoch = params.has("epoch") ? Number(params.get("epoch")) : newest ? newest.epoch : null;
  return {
    chainId: Number(params.get("chain") || (overview && overview.chain_id) || 31337),
    gate: listed ? listed.address : address,
    label: params.get("label") || (listed ? listed.label : ""),
    name: listed ? listed.name : params.get("label") || "a service",
    threshold: BigInt(params.get("threshold") || (listed ? listed.threshold : 0)),
    epoch,
    leaves: params.get("leaves") || (epoch === null ? "" : `/v1/zk/epochs/${epoch}/leaves`),
    recipient: $("recipient").value.trim(),
    relayed: Boolean(listed), // this gateway relays passes to the gate
  };
}

function showRequest() {
  const request = currentRequest();
  $("gate-label").textContent = request.name;
  $("gate-threshold").textContent = request.threshold.toString();
  $("gate-facts").textContent =
    request.epoch === null
      ? "No period's private tree is finalised yet."
      : `Scope label “${request.label}”; you prove against period ${request.epoch}, the newest finalised one.`;
}

const STAGES = { signing: 1, loading: 2, witness: 3, proving: 4 };
function status(text, stage) {
  $("status").textContent = text;
  if (stage) {
    $("progress").hidden = false;
    $("progress").value = STAGES[stage] || 0;
  }
}

async function myIdentity(chainId) {
  if (identity) return identity;
  if (!window.ethereum) throw new Error("no wallet found: install or open one");
  const [account] = await window.ethereum.request({ method: "eth_requestAccounts" });
  const message = secretMessage(chainId);
  const hexMessage = "0x" + Array.from(new TextEncoder().encode(message), (b) => b.toString(16).padStart(2, "0")).join("");
  const signature = await window.ethereum.request({ method: "personal_sign", params: [hexMessage, account] });
  const secret = secretFromSignature(signature);
  identity = { account, secret, commitment: identityCommitment(secret) };
  return identity;
}

async function registeredCommitment(account) {
  const response = await fetch(`/v1/zk/identities/${account}`);
  if (!response.ok) throw await apiError(response);
  const { commitment } = await response.json();
  return commitment === null ? null : BigInt(commitment);
}

export async function registerIdentity() {
  const request = currentRequest();
  const setStatus = (text) => ($("identity-status").textContent = text);
  setStatus("Asking your wallet to sign…");
  const id = await myIdentity(request.chainId);
  const registered = await registeredCommitment(id.account);
  if (registered !== null) {
    setStatus(
      registered === id.commitment
        ? "Your identity is registered already."
        : "This address registered another identity commitment: prove with the wallet that made it.",
    );
    return;
  }
  const typed = {
    types: overview.register_types,
    primaryType: "RegisterIdentity",
    domain: { name: "IdentityRegistry", version: "1", chainId: overview.chain_id, verifyingContract: overview.identity_registry },
    message: { resident: id.account, commitment: id.commitment.toString(), deadline: overview.chain_time + 3600 },
  };
  setStatus("Asking your wallet to sign the registration…");
  const signature = await window.ethereum.request({ method: "eth_signTypedData_v4", params: [id.account, JSON.stringify(typed)] });
  const response = await fetch("/v1/zk/identities", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...typed.message, signature }),
  });
  if (!response.ok) throw await apiError(response);
  setStatus(
    "Registered. Your credit joins the private tree of the period in progress: you can prove " +
      "with it once the residents have agreed that period's root.",
  );
}

async function epochLeaves(request) {
  if (!request.leaves) throw new Error("no period's private tree is finalised yet: try again later");
  const response = await fetch(request.leaves);
  if (!response.ok) throw await apiError(response);
  const data = await response.json();
  return Array.isArray(data) ? data : data.leaves; // a service's file, or this gateway's answer
}

export async function proveRequest() {
  const request = currentRequest();
  status("Asking your wallet to sign…", "signing");
  const id = await myIdentity(request.chainId);
  const leaves = await epochLeaves(request);
  if (!leaves.some((l) => BigInt(l.commitment) === id.commitment)) {
    const registered = overview ? await registeredCommitment(id.account) : id.commitment;
    throw new Error(
      registered === null
        ? "your identity is not registered: register it first (step 1)"
        : `your identity is not in period ${request.epoch}'s tree (registered after it ended?): ` +
            "prove once a later period's root is finalised",
    );
  }
  const path = poseidonPath(leaves, id.commitment);
  if (BigInt(path.credit) < request.threshold) {
    throw new Error(`your credit in period ${request.epoch} is ${path.credit}, below ${request.threshold}`);
  }
  const scope = scopeOf(request.chainId, request.gate, request.label);
  const recipient = request.recipient || id.account;
  if (!/^0x[0-9a-fA-F]{40}$/.test(recipient)) throw new Error(`the recipient ${recipient} is not an address`);
  const input = {
    root: BigInt(poseidonRoot(leaves)).toString(),
    threshold: request.threshold.toString(),
    scope: scope.toString(),
    nullifier: nullifierOf(id.secret, scope).toString(),
    recipient: BigInt(recipient).toString(),
    secret: id.secret.toString(),
    credit: path.credit,
    pathElements: path.pathElements,
    pathIndices: path.pathIndices,
  };
  const result = await new Promise((resolve, reject) => {
    const worker = new Worker("prove_worker.js");
    worker.onmessage = (e) => {
      if (e.data.stage === "loading") status("Loading the prover (about 5 MB)…", "loading");
      if (e.data.stage === "witness") status("Computing your witness…", "witness");
      if (e.data.stage === "proving") status("Proving…", "proving");
      if (e.data.error) reject(new Error(e.data.error));
      if (e.data.done) resolve(e.data);
      if (e.data.done || e.data.error) worker.terminate();
    };
    worker.postMessage({ input, assets: new URL("assets", location.href).href });
  });
  const bundle = {
    version: 1,
    chain_id: request.chainId,
    gate: request.gate,
    label: request.label,
    epoch: request.epoch,
    public: result.publicSignals,
    proof: result.proof,
  };
  return { bundle, seconds: result.seconds, relayed: request.relayed };
}

function showProof(bundle, relayed) {
  const link = new URL("check.html?proof=" + encodeBundle(bundle), location.href).href;
  const qr = qrcode(0, "M");
  qr.addData(link);
  qr.make();
  $("qr").src = qr.createDataURL(4, 16);
  $("link").href = link;
  $("bundle").value = JSON.stringify(bundle);
  $("pass").hidden = !relayed;
  $("pass-status").textContent = "";
  $("done").hidden = false;
}

async function passGate() {
  const { epoch, gate } = lastBundle;
  $("pass-status").textContent = "Sending your proof to the gate…";
  const response = await fetch(`/v1/zk/gates/${gate}/passes`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ epoch, public: lastBundle.public, proof: lastBundle.proof }),
  });
  if (!response.ok) throw await apiError(response);
  const done = await response.json();
  $("pass-status").textContent = `Passed: the gate recorded your pass for ${done.recipient} (transaction ${done.tx_hash}).`;
  $("pass-status").dataset.passed = "true";
}

function guarded(button, action, onError) {
  $(button).addEventListener("click", async () => {
    $(button).disabled = true;
    try {
      await action();
    } catch (err) {
      onError(`${err.message || err}`);
    } finally {
      $(button).disabled = false;
    }
  });
}

$("recipient").value = params.get("recipient") || "";
$("gate").addEventListener("change", showRequest);
guarded("register", registerIdentity, (m) => ($("identity-status").textContent = `Could not register: ${m}`));
guarded(
  "prove",
  async () => {
    const { bundle, seconds, relayed } = await proveRequest();
    lastBundle = bundle;
    showProof(bundle, relayed);
    status(`Proof ready in ${seconds.toFixed(1)} s.`, "proving");
  },
  (m) => status(`Could not prove: ${m}`),
);
guarded("pass", passGate, (m) => ($("pass-status").textContent = `Not passed: ${m}`));
showRequest();
loadOverview();
