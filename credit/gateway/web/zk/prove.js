// "Prove my credit": derive the identity secret from a wallet signature, find the resident's leaf
// among the epoch's public Poseidon leaves, and prove in a Web Worker (prove_worker.js).
// The page is opened from a gate's link: ?chain=&gate=&label=&threshold=&epoch=&leaves=&recipient=
// (leaves: a URL of the epoch's JSON [{commitment, credit}], published for all residents alike).
import { identityCommitment, nullifierOf, scopeOf, secretFromSignature, secretMessage } from "../js/verify/zk_identity.js";
import { poseidonPath, poseidonRoot } from "../js/verify/poseidon.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const request = {
  chainId: Number(params.get("chain") || 31337),
  gate: params.get("gate") || "",
  label: params.get("label") || "",
  threshold: BigInt(params.get("threshold") || "0"),
  epoch: Number(params.get("epoch") || 0),
  leaves: params.get("leaves") || "",
  recipient: params.get("recipient") || "",
};
$("gate-label").textContent = request.label || "a service";
$("gate-threshold").textContent = request.threshold.toString();

const STAGES = { signing: 1, loading: 2, witness: 3, proving: 4 };
function status(text, stage) {
  $("status").textContent = text;
  if (stage) {
    $("progress").hidden = false;
    $("progress").value = STAGES[stage] || 0;
  }
}

async function wallet() {
  if (!window.ethereum) throw new Error("no wallet found: install or open one");
  const [account] = await window.ethereum.request({ method: "eth_requestAccounts" });
  return account;
}

export async function proveRequest() {
  status("Asking your wallet to sign…", "signing");
  const account = await wallet();
  const message = secretMessage(request.chainId);
  const hexMessage = "0x" + Array.from(new TextEncoder().encode(message), (b) => b.toString(16).padStart(2, "0")).join("");
  const signature = await window.ethereum.request({ method: "personal_sign", params: [hexMessage, account] });
  const secret = secretFromSignature(signature);
  const commitment = identityCommitment(secret);
  const leaves = await (await fetch(request.leaves)).json();
  const path = poseidonPath(leaves, commitment);
  if (BigInt(path.credit) < request.threshold) {
    throw new Error(`your credit in epoch ${request.epoch} is ${path.credit}, below ${request.threshold}`);
  }
  const scope = scopeOf(request.chainId, request.gate, request.label);
  const recipient = request.recipient || account;
  const input = {
    root: BigInt(poseidonRoot(leaves)).toString(),
    threshold: request.threshold.toString(),
    scope: scope.toString(),
    nullifier: nullifierOf(secret, scope).toString(),
    recipient: BigInt(recipient).toString(),
    secret: secret.toString(),
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
  return { bundle, seconds: result.seconds };
}

$("prove").addEventListener("click", async () => {
  $("prove").disabled = true;
  try {
    const { bundle, seconds } = await proveRequest();
    const json = JSON.stringify(bundle);
    $("bundle").value = json;
    $("link").href = "check.html#bundle=" + btoa(encodeURIComponent(json));
    $("done").hidden = false;
    status(`Proof ready in ${seconds.toFixed(1)} s.`, "proving");
  } catch (err) {
    status(`Could not prove: ${err.message || err}`);
  } finally {
    $("prove").disabled = false;
  }
});
