// @ts-check
// A resident's private identity in the browser, as credit/zk/identity.py computes it (pure):
// the secret from the wallet's signature of a fixed text, the commitment Poseidon(secret), a
// gate's scope and the nullifier Poseidon(secret, scope). The secret never leaves the device.
import { keccak, fromHex } from "./hash.js";
import { FIELD, poseidon } from "./poseidon.js";

/**
 * The text a resident's wallet signs (personal_sign) to derive their identity secret.
 * @param {number | bigint | string} chainId
 */
export function secretMessage(chainId) {
  return (
    "Consensus Credit private proofs\n" +
    "Sign to derive your identity secret. It stays on this device.\n" +
    `Chain: ${chainId}\nVersion: 1`
  );
}

/** @param {Uint8Array} bytes */
const toBig = (bytes) => BigInt("0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""));

/**
 * The secret from the wallet's 65-byte signature (0x hex) of secretMessage.
 * @param {string} signatureHex
 * @returns {bigint}
 */
export function secretFromSignature(signatureHex) {
  const sig = fromHex(signatureHex);
  if (sig.length !== 65) throw new Error(`a wallet signature is 65 bytes, got ${sig.length}`);
  return toBig(keccak(sig)) % FIELD || 1n;
}

/** @param {bigint} secret */
export const identityCommitment = (secret) => poseidon([secret]);
/**
 * @param {bigint} secret
 * @param {bigint} scope
 */
export const nullifierOf = (secret, scope) => poseidon([secret, scope]);

/**
 * keccak256(abi.encode(uint256 chainId, address gate, keccak256(bytes(label)))) mod p.
 * @param {number | bigint | string} chainId
 * @param {string} gate 0x hex address
 * @param {string} label
 * @returns {bigint}
 */
export function scopeOf(chainId, gate, label) {
  const data = new Uint8Array(96);
  const chain = BigInt(chainId).toString(16).padStart(64, "0");
  data.set(fromHex(chain), 0);
  data.set(fromHex(gate), 44);
  data.set(keccak(new TextEncoder().encode(label)), 64);
  return toBig(keccak(data)) % FIELD;
}
