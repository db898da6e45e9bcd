// The phase-2 trusted setup of circuits/credit_at_least.circom, as a ceremony of three parties.
//
//   node scripts/zk_ceremony.mjs            # compile, setup, three contributions, verify, export
//
// Phase 1 is zk/ptau/pot13_final.ptau (powers of tau 2^13, prepared for phase 2 once: ~200 s, never
// in CI; see zk/ptau/README.md). Each party contributes fresh random entropy to the zkey in turn and
// every intermediate zkey is checked with `zkey verify` against the circuit and the ptau. If any one
// party destroyed its entropy, nobody can forge proofs. Writes:
//   zk/credit_at_least/{credit_at_least.wasm, credit_at_least.zkey, verification_key.json, circuit.json}
//   contracts/zk/CreditAtLeastVerifier.sol           (snarkjs's Groth16 template, contract renamed)
//   rules/ceremony/credit_at_least.json              (the transcript, published beside the rule sets)
// Parties default to the demo's three departments; pass names as arguments to change them.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { ROOT, OUT, PTAU, compileCircuit, exportVerifier, sha256File, circuitFacts } from "./zk_common.mjs";

const parties = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ["community centre", "sanitation dept", "city library"];
const hex = (bytes) => Buffer.from(bytes).toString("hex");

const work = mkdtempSync(join(tmpdir(), "zk-ceremony-"));
try {
  const build = compileCircuit(work);
  mkdirSync(OUT, { recursive: true });
  let zkey = join(work, "c_0.zkey");
  const circuitHash = await snarkjs.zKey.newZKey(build.r1cs, PTAU, zkey, null);
  const contributions = [];
  for (const [i, party] of parties.entries()) {
    const next = join(work, `c_${i + 1}.zkey`);
    const hash = await snarkjs.zKey.contribute(zkey, next, party, randomBytes(64).toString("hex"), null);
    const ok = await snarkjs.zKey.verifyFromR1cs(build.r1cs, PTAU, next, null);
    if (!ok) throw new Error(`zkey verify failed after ${party}'s contribution`);
    contributions.push({ party, contribution_hash: hex(hash), zkey_sha256: sha256File(next), verified: true });
    console.log(`contribution ${i + 1}: ${party}: ${hex(hash).slice(0, 32)}... verified`);
    zkey = next;
  }
  copyFileSync(zkey, join(OUT, "credit_at_least.zkey"));
  copyFileSync(build.wasm, join(OUT, "credit_at_least.wasm"));
  const vkey = await snarkjs.zKey.exportVerificationKey(zkey, null);
  writeFileSync(join(OUT, "verification_key.json"), JSON.stringify(vkey, null, 2) + "\n");
  writeFileSync(join(ROOT, "contracts/zk/CreditAtLeastVerifier.sol"), await exportVerifier(zkey));
  const facts = circuitFacts(build);
  writeFileSync(join(OUT, "circuit.json"), JSON.stringify(facts, null, 2) + "\n");
  const transcript = {
    circuit: "circuits/credit_at_least.circom",
    circuit_hash: hex(circuitHash),
    r1cs_sha256: facts.r1cs_sha256,
    constraints: facts.constraints,
    phase1: { file: "zk/ptau/pot13_final.ptau", sha256: sha256File(PTAU), power: 13 },
    contributions,
    final: {
      zkey_sha256: sha256File(join(OUT, "credit_at_least.zkey")),
      verification_key_sha256: sha256File(join(OUT, "verification_key.json")),
      verifier_sha256: sha256File(join(ROOT, "contracts/zk/CreditAtLeastVerifier.sol")),
    },
    how_to_check:
      "circom2 circuits/credit_at_least.circom --O2 --r1cs -o /tmp/c && snarkjs zkey verify " +
      "/tmp/c/credit_at_least.r1cs zk/ptau/pot13_final.ptau zk/credit_at_least/credit_at_least.zkey " +
      "prints each contribution hash above, by party",
  };
  mkdirSync(join(ROOT, "rules/ceremony"), { recursive: true });
  writeFileSync(join(ROOT, "rules/ceremony/credit_at_least.json"), JSON.stringify(transcript, null, 2) + "\n");
  console.log(`ceremony done: ${parties.length} contributions, ${facts.constraints} constraints`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(0); // snarkjs leaves worker threads alive
