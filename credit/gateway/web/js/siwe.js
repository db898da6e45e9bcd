// Sign-In with Ethereum (EIP-4361): the message, exactly as the gateway's SIWE library renders it.
import { toChecksumAddress } from "./keccak.js";

/**
 * The canonical EIP-4361 text for a ``POST /v1/auth/nonce`` answer and the wallet's address.
 * The gateway refuses any other rendering (and a lower-case address), so the fields, their
 * order and the blank lines follow the specification to the character.
 */
export function siweMessage(nonceOut, address, issuedAt = new Date()) {
  return [
    `${nonceOut.domain} wants you to sign in with your Ethereum account:`,
    toChecksumAddress(address),
    "",
    nonceOut.statement,
    "",
    `URI: ${nonceOut.uri}`,
    "Version: 1",
    `Chain ID: ${nonceOut.chain_id}`,
    `Nonce: ${nonceOut.nonce}`,
    `Issued At: ${issuedAt.toISOString()}`,
  ].join("\n");
}
