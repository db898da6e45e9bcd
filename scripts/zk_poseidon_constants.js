// Writes circomlibjs's Poseidon constants for 1 and 2 inputs, for Python or for the browser:
//   node scripts/zk_poseidon_constants.js > credit/zk/poseidon_constants.py
//   node scripts/zk_poseidon_constants.js --js > credit/gateway/web/js/verify/poseidon_constants.js
const c = require("../node_modules/circomlibjs/src/poseidon_constants.json");
if (process.argv.includes("--js")) {
  const big = (x) => BigInt(x).toString() + "n";
  const lines = [
    "// @ts-check",
    "// Poseidon round constants and MDS matrices for 1 and 2 inputs (t = 2, 3), from circomlibjs 0.1.7",
    "// src/poseidon_constants.json, written by scripts/zk_poseidon_constants.js --js: do not edit.",
    "/** @type {bigint[][]} round constants, C[t - 2] */",
    "export const C = [",
    ...[0, 1].map((t) => "  [" + c.C[t].map(big).join(", ") + "],"),
    "];",
    "/** @type {bigint[][][]} MDS matrices, M[t - 2] */",
    "export const M = [",
    ...[0, 1].map((t) => "  [" + c.M[t].map((row) => "[" + row.map(big).join(", ") + "]").join(", ") + "],"),
    "];",
  ];
  console.log(lines.join("\n"));
  process.exit(0);
}
const out = [
  '"""Poseidon round constants and MDS matrices for 1 and 2 inputs (t = 2, 3).',
  "",
  "Generated from circomlibjs 0.1.7 `src/poseidon_constants.json` (entries t - 2 = 0 and 1) by",
  "`scripts/zk_poseidon_constants.js`; do not edit. circomlib's circuits use the same constants.",
  '"""',
  "",
  "# fmt: off",
  "C: tuple[tuple[int, ...], ...] = (",
];
for (const t of [0, 1]) {
  out.push("    (");
  for (const x of c.C[t]) out.push("        " + x + ",");
  out.push("    ),");
}
out.push(")");
out.push("M: tuple[tuple[tuple[int, ...], ...], ...] = (");
for (const t of [0, 1]) {
  out.push("    (");
  for (const row of c.M[t]) out.push("        (\n" + row.map((x) => "            " + x + ",\n").join("") + "        ),");
  out.push("    ),");
}
out.push(")");
out.push("# fmt: on");
console.log(out.join("\n"));
