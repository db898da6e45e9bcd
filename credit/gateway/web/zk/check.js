// "Check a proof": verifies a proof bundle in the page with snarkjs and the ceremony's verification
// key, and recomputes the gate's scope from its chain id, address and label. No wallet needed.
/* global snarkjs */
import { scopeOf } from "../js/verify/zk_identity.js";
import { decodeBundle } from "../js/verify/zk_bundle.js";

const $ = (id) => document.getElementById(id);

// Whether the gate recorded a pass with this nullifier, when this gateway lists the gate
// (GET /v1/zk/gates/{gate}/nullifiers/{n}); undefined for a gate it does not know.
async function passedAtGate(gate, nullifier) {
  try {
    const response = await fetch(`/v1/zk/gates/${gate}/nullifiers/${nullifier}`);
    if (!response.ok) return undefined;
    const { used } = await response.json();
    return used ? "yes: the gate recorded a pass with this nullifier" : "not yet";
  } catch {
    return undefined;
  }
}

export async function checkBundle(bundle) {
  const vkey = await (await fetch("assets/verification_key.json")).json();
  const [root, threshold, scope, nullifier, recipient] = bundle.public.map(BigInt);
  const proofHolds = await snarkjs.groth16.verify(vkey, bundle.public, bundle.proof);
  const scopeMatches = scopeOf(bundle.chain_id, bundle.gate, bundle.label) === scope;
  return {
    valid: proofHolds && scopeMatches,
    passed: proofHolds && scopeMatches ? await passedAtGate(bundle.gate, nullifier) : undefined,
    proofHolds,
    scopeMatches,
    gate: bundle.gate,
    label: bundle.label,
    epoch: bundle.epoch,
    threshold: threshold.toString(),
    root: "0x" + root.toString(16).padStart(64, "0"),
    nullifier: nullifier.toString(),
    recipient: "0x" + recipient.toString(16).padStart(40, "0"),
  };
}

function show(report) {
  $("result").hidden = false;
  $("verdict").textContent = report.valid
    ? `Valid: someone has credit of at least ${report.threshold} in epoch ${report.epoch}`
    : report.error
      ? `Not a proof bundle: ${report.error}`
      : `Not valid: ${report.proofHolds ? "it was made for another gate" : "the proof does not hold"}`;
  $("verdict").dataset.valid = String(Boolean(report.valid));
  const facts = $("facts");
  facts.replaceChildren();
  for (const key of ["passed", "gate", "label", "epoch", "threshold", "root", "nullifier", "recipient"]) {
    if (report[key] === undefined) continue;
    const dt = document.createElement("dt");
    dt.textContent = key;
    const dd = document.createElement("dd");
    dd.textContent = String(report[key]);
    dd.dataset.key = key;
    facts.append(dt, dd);
  }
}

async function run() {
  let report;
  try {
    report = await checkBundle(JSON.parse($("bundle").value));
  } catch (err) {
    report = { valid: false, error: String(err.message || err) };
  }
  show(report);
}

$("check").addEventListener("click", run);
// The prover's link and QR code carry the bundle in ?proof= (compact); older links carried the
// JSON in the fragment.
const linked = new URLSearchParams(location.search).get("proof");
if (linked) {
  try {
    $("bundle").value = JSON.stringify(decodeBundle(linked), null, 2);
    run();
  } catch (err) {
    show({ valid: false, error: String(err.message || err) });
  }
} else if (location.hash.startsWith("#bundle=")) {
  $("bundle").value = decodeURIComponent(atob(location.hash.slice(8)));
  run();
}
