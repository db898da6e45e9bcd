// Shared by the zk scripts: where things are, compiling the circuit, exporting the verifier.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as snarkjs from "snarkjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const OUT = join(ROOT, "zk/credit_at_least");
export const PTAU = join(ROOT, "zk/ptau/pot13_final.ptau");
export const CIRCUIT = join(ROOT, "circuits/credit_at_least.circom");

export const sha256File = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** Compile the circuit with --O2 into `dir`; returns the r1cs and wasm paths. */
export function compileCircuit(dir) {
  const circom = join(ROOT, "node_modules/.bin/circom2");
  const out = execFileSync(circom, [CIRCUIT, "--O2", "--r1cs", "--wasm", "-o", dir], { cwd: ROOT });
  const constraints = Number(/non-linear constraints: (\d+)/.exec(out.toString())[1]);
  return {
    r1cs: join(dir, "credit_at_least.r1cs"),
    wasm: join(dir, "credit_at_least_js/credit_at_least.wasm"),
    constraints,
  };
}

/** The facts CI checks a recompilation against. */
export function circuitFacts(build) {
  return {
    compiler: "circom2 0.2.23 --O2",
    constraints: build.constraints,
    r1cs_sha256: sha256File(build.r1cs),
    wasm_sha256: sha256File(build.wasm),
  };
}

/**
 * snarkjs's Solidity Groth16 verifier of `zkey`, renamed CreditAtLeastVerifier and given the
 * `version()` every deployable contract of ours has (scripts/check_solidity.py). Nothing else is
 * touched; CI re-runs this on the committed zkey and compares the file byte for byte.
 */
export async function exportVerifier(zkey) {
  const template = readFileSync(join(ROOT, "node_modules/snarkjs/templates/verifier_groth16.sol.ejs"), "utf8");
  const code = await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template }, null);
  const renamed = code.replace("contract Groth16Verifier", "contract CreditAtLeastVerifier").trimEnd();
  const version =
    "\n    /// @notice The verifier's version: the circuit and the ceremony it belongs to.\n" +
    '    function version() external pure returns (string memory) {\n        return "credit_at_least-1";\n    }\n';
  if (!renamed.endsWith("}")) throw new Error("snarkjs's verifier template changed: review the export");
  return renamed.slice(0, -1).trimEnd() + "\n" + version + "}\n";
}
