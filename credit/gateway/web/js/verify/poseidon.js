// @ts-check
// Poseidon over BN254's scalar field for one or two inputs, as circomlib and credit/zk/poseidon.py
// compute it (a port of circomlibjs's poseidon_reference.js on BigInt), and the Poseidon credit tree
// of credit/zk/tree.py: leaves Poseidon(commitment, credit) by ascending commitment, depth 20,
// empty subtrees ZEROS[h]. Pure; shared by the browser's workers and node.
import { C, M } from "./poseidon_constants.js";

/** @typedef {{commitment: bigint, credit: bigint}} Leaf */
/**
 * A leaf as given: the two numbers as BigInt or anything BigInt() takes.
 * @typedef {{commitment: bigint | number | string, credit: bigint | number | string}} LeafInput
 */

export const FIELD = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001n;
export const DEPTH = 20;
export const MAX_CREDIT = 2n ** 64n - 1n;
const ROUNDS_F = 8;
const ROUNDS_P = [56, 57];

/** @param {bigint} a */
const mod = (a) => ((a % FIELD) + FIELD) % FIELD;
/** @param {bigint} a */
const pow5 = (a) => {
  const a2 = (a * a) % FIELD;
  return (((a2 * a2) % FIELD) * a) % FIELD;
};

/**
 * Poseidon of one or two field elements (BigInt or anything BigInt() takes).
 * @param {(bigint | number | string)[]} inputs
 * @returns {bigint}
 */
export function poseidon(inputs) {
  if (inputs.length < 1 || inputs.length > 2) throw new Error(`poseidon takes 1 or 2 inputs, got ${inputs.length}`);
  const t = inputs.length + 1;
  const constants = C[t - 2];
  const matrix = M[t - 2];
  const partial = ROUNDS_P[t - 2];
  let state = [0n, ...inputs.map((x) => mod(BigInt(x)))];
  const half = ROUNDS_F / 2;
  for (let r = 0; r < ROUNDS_F + partial; r++) {
    state = state.map((a, i) => (a + constants[r * t + i]) % FIELD);
    if (r < half || r >= half + partial) state = state.map(pow5);
    else state[0] = pow5(state[0]);
    state = matrix.map((row) => row.reduce((acc, m, j) => acc + m * state[j], 0n) % FIELD);
  }
  return state[0];
}

export const ZEROS = (() => {
  const z = [0n];
  for (let i = 0; i < DEPTH; i++) z.push(poseidon([z[i], z[i]]));
  return z;
})();

/**
 * The levels of the tree of `leaves` ([{commitment, credit}], any order); levels[DEPTH] = [root].
 * @param {LeafInput[]} leaves
 * @returns {{ordered: Leaf[], levels: bigint[][]}}
 */
export function poseidonLevels(leaves) {
  /** @type {Leaf[]} */
  const ordered = leaves
    .map((l) => ({ commitment: BigInt(l.commitment), credit: BigInt(l.credit) }))
    .sort((a, b) => (a.commitment < b.commitment ? -1 : a.commitment > b.commitment ? 1 : 0));
  for (let i = 0; i < ordered.length; i++) {
    const l = ordered[i];
    if (l.commitment <= 0n || l.commitment >= FIELD) throw new Error(`commitment ${l.commitment} is not a non-zero field element`);
    if (i > 0 && ordered[i - 1].commitment === l.commitment) throw new Error(`commitment ${l.commitment} appears twice`);
    if (l.credit < 0n || l.credit > MAX_CREDIT) throw new Error(`credit ${l.credit} is outside 0..2**64-1`);
  }
  let level = ordered.map((l) => poseidon([l.commitment, l.credit]));
  const levels = [level];
  for (let h = 0; h < DEPTH; h++) {
    const padded = level.length % 2 ? [...level, ZEROS[h]] : level;
    /** @type {bigint[]} */
    const next = [];
    for (let i = 0; i < padded.length; i += 2) next.push(poseidon([padded[i], padded[i + 1]]));
    levels.push(next);
    level = next;
  }
  return { ordered, levels };
}

/**
 * The Poseidon credit root of `leaves`, as a 0x-prefixed 32-byte hex string.
 * @param {LeafInput[]} leaves
 * @returns {string}
 */
export function poseidonRoot(leaves) {
  const { levels } = poseidonLevels(leaves);
  const root = levels[DEPTH].length ? levels[DEPTH][0] : ZEROS[DEPTH];
  return "0x" + root.toString(16).padStart(64, "0");
}

/**
 * The Merkle path of the leaf with `commitment`: {index, pathElements, pathIndices} (decimal strings).
 * @param {LeafInput[]} leaves
 * @param {bigint | number | string} commitment
 * @returns {{index: number, credit: string, pathElements: string[], pathIndices: string[]}}
 */
export function poseidonPath(leaves, commitment) {
  const { ordered, levels } = poseidonLevels(leaves);
  const index = ordered.findIndex((l) => l.commitment === BigInt(commitment));
  if (index < 0) throw new Error("that identity commitment is not in this epoch's tree: was it registered?");
  /** @type {string[]} */
  const pathElements = [];
  /** @type {string[]} */
  const pathIndices = [];
  let at = index;
  for (let h = 0; h < DEPTH; h++) {
    const sibling = at ^ 1;
    pathElements.push((sibling < levels[h].length ? levels[h][sibling] : ZEROS[h]).toString());
    pathIndices.push(String(at & 1));
    at >>= 1;
  }
  return { index, credit: ordered[index].credit.toString(), pathElements, pathIndices };
}
