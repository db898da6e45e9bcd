// @ts-check
// Sign-In with Ethereum (EIP-4361): the message, exactly as the gateway's SIWE library renders it.

/**
 * The answer of ``POST /v1/auth/nonce`` (sent with the wallet's address).
 * @typedef {object} NonceOut
 * @property {string} nonce
 * @property {string} expires_at
 * @property {string} domain
 * @property {string} uri
 * @property {number} chain_id
 * @property {string} statement
 * @property {string | null} address the requested address in EIP-55 form
 */

/**
 * The canonical EIP-4361 text for a ``POST /v1/auth/nonce`` answer and the wallet's address.
 * The gateway refuses any other rendering (and a lower-case address), so the fields, their
 * order and the blank lines follow the specification to the character. The EIP-55 form of the
 * address comes from the gateway (the nonce answer), so this page needs no keccak of its own.
 * @param {NonceOut} nonceOut
 * @param {string} address the wallet's account (any capitalisation)
 * @param {Date} [issuedAt]
 * @returns {string}
 */
export function siweMessage(nonceOut, address, issuedAt = new Date()) {
  const checksummed = nonceOut.address;
  if (!checksummed || checksummed.toLowerCase() !== address.toLowerCase()) {
    throw new Error(`the gateway's nonce answer is for ${checksummed}, not ${address}`);
  }
  return [
    `${nonceOut.domain} wants you to sign in with your Ethereum account:`,
    checksummed,
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
