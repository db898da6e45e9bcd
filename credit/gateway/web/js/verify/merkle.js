// @ts-check
// The epoch state tree, compatible with OpenZeppelin's StandardMerkleTree of
// ["address", "uint256", "uint256"], as credit/verify/merkle.py builds it: leaf =
// keccak(keccak(abi.encode(resident, credit, earned))), leaves sorted by hash, inner nodes hash
// their two children smaller first, laid out as an array (root at 0, children of i at 2i+1, 2i+2).

import { fromHex, keccak, toHex } from "./hash.js";

const TWO_256 = 1n << 256n;

/**
 * @param {Uint8Array} out
 * @param {number} offset
 * @param {bigint} value
 */
function putUint256(out, offset, value) {
  if (value < 0n || value >= TWO_256) throw new Error(`${value} does not fit a uint256`);
  let v = value;
  for (let i = 31; i >= 0; i--) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/**
 * The leaf of ``resident`` (0x address) with ``credit`` and ``earned`` (BigInt).
 * @param {string} resident
 * @param {bigint} credit
 * @param {bigint} earned
 * @returns {Uint8Array}
 */
export function leafHash(resident, credit, earned) {
  const address = fromHex(resident);
  if (address.length !== 20) throw new Error(`${resident} is not a 20-byte address`);
  const encoded = new Uint8Array(96);
  encoded.set(address, 12);
  putUint256(encoded, 32, credit);
  putUint256(encoded, 64, earned);
  return keccak(keccak(encoded));
}

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
function compare(a, b) {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

const pair = new Uint8Array(64);

/**
 * An inner node: the hash of its two children, smaller first.
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 * @returns {Uint8Array}
 */
export function hashPair(a, b) {
  const [first, second] = compare(a, b) <= 0 ? [a, b] : [b, a];
  pair.set(first, 0);
  pair.set(second, 32);
  return keccak(pair);
}

/**
 * The root (0x hex) of the tree of ``leaves`` (Uint8Arrays, any order).
 * @param {Uint8Array[]} leaves
 * @returns {string}
 */
export function merkleRoot(leaves) {
  const n = leaves.length;
  if (n === 0) throw new Error("a Merkle tree needs at least one leaf: no resident is registered");
  const ordered = [...leaves].sort(compare);
  /** @type {Uint8Array[]} */
  const nodes = new Array(2 * n - 1);
  for (let i = 0; i < n; i++) nodes[nodes.length - 1 - i] = ordered[i];
  for (let i = nodes.length - 1 - n; i >= 0; i--) nodes[i] = hashPair(nodes[2 * i + 1], nodes[2 * i + 2]);
  return toHex(nodes[0]);
}

/**
 * The root an epoch's state (rows of {resident, credit, earned}) commits to.
 * @param {import("./state.js").Row[]} rows
 */
export function stateRoot(rows) {
  return merkleRoot(rows.map((r) => leafHash(r.resident, r.credit, r.earned)));
}
