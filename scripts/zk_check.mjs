// What CI checks of the committed circuit artefacts, without the ~200 s phase-2 preparation:
//   node scripts/zk_check.mjs   -> JSON {recompiled: circuit facts, verifier_matches: bool}
// It recompiles circuits/credit_at_least.circom (--O2) for its r1cs/wasm hashes and constraint
// count, and re-exports the Solidity verifier from the committed zkey to compare with the file.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, OUT, compileCircuit, circuitFacts, exportVerifier } from "./zk_common.mjs";

const work = mkdtempSync(join(tmpdir(), "zk-check-"));
try {
  const recompiled = circuitFacts(compileCircuit(work));
  const exported = await exportVerifier(join(OUT, "credit_at_least.zkey"));
  const committed = readFileSync(join(ROOT, "contracts/zk/CreditAtLeastVerifier.sol"), "utf8");
  process.stdout.write(JSON.stringify({ recompiled, verifier_matches: exported === committed }) + "\n");
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(0); // snarkjs leaves worker threads alive
