// @ts-check
// A proof bundle in a URL: what "Prove my credit" puts in the check link and its QR code, and what
// "Check a proof" reads back (pure). Binary, then base64url, so that the link fits a QR code
// (a third of the length of the JSON bundle in a link):
//   version (1 byte) | chain id (8) | epoch (4) | gate (20) | 13 field elements (32 each):
//   the 5 public signals, then the proof's a (2), b (2 × 2, as snarkjs orders them) and c (2) |
//   the gate's label (UTF-8, the rest)
// Only the affine coordinates travel; the projective 1s (and b's [1, 0]) are put back on reading.

const VERSION = 1;
const HEAD = 1 + 8 + 4 + 20;
const ELEMENTS = 13;

/**
 * @typedef {{ pi_a: string[], pi_b: string[][], pi_c: string[], protocol?: string, curve?: string }} Proof
 * @typedef {{ version: number, chain_id: number, gate: string, label: string, epoch: number,
 *   public: string[], proof: Proof }} Bundle
 */

/** @param {bigint} value @param {number} size */
function bytesOf(value, size) {
  const out = new Uint8Array(size);
  let v = value;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new Error(`${value} does not fit ${size} bytes`);
  return out;
}

/** @param {Uint8Array} bytes */
function bigOf(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** @param {Uint8Array} bytes */
function base64url(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** @param {string} text */
function fromBase64url(text) {
  const plain = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(plain, (c) => c.charCodeAt(0));
}

/**
 * The bundle as a URL-safe string.
 * @param {Bundle} bundle
 * @returns {string}
 */
export function encodeBundle(bundle) {
  const { proof } = bundle;
  const elements = [
    ...bundle.public,
    proof.pi_a[0],
    proof.pi_a[1],
    proof.pi_b[0][0],
    proof.pi_b[0][1],
    proof.pi_b[1][0],
    proof.pi_b[1][1],
    proof.pi_c[0],
    proof.pi_c[1],
  ];
  if (elements.length !== ELEMENTS) throw new Error("a bundle has 5 public signals");
  const label = new TextEncoder().encode(bundle.label);
  const out = new Uint8Array(HEAD + 32 * ELEMENTS + label.length);
  out[0] = VERSION;
  out.set(bytesOf(BigInt(bundle.chain_id), 8), 1);
  out.set(bytesOf(BigInt(bundle.epoch), 4), 9);
  out.set(bytesOf(BigInt(bundle.gate), 20), 13);
  elements.forEach((e, i) => out.set(bytesOf(BigInt(e), 32), HEAD + 32 * i));
  out.set(label, HEAD + 32 * ELEMENTS);
  return base64url(out);
}

/**
 * The bundle back from encodeBundle's string.
 * @param {string} text
 * @returns {Bundle}
 */
export function decodeBundle(text) {
  const bytes = fromBase64url(text);
  if (bytes.length < HEAD + 32 * ELEMENTS || bytes[0] !== VERSION) {
    throw new Error("this link does not carry a proof bundle of version 1");
  }
  const el = Array.from({ length: ELEMENTS }, (_, i) =>
    bigOf(bytes.subarray(HEAD + 32 * i, HEAD + 32 * (i + 1))).toString(),
  );
  return {
    version: VERSION,
    chain_id: Number(bigOf(bytes.subarray(1, 9))),
    epoch: Number(bigOf(bytes.subarray(9, 13))),
    gate: "0x" + bigOf(bytes.subarray(13, HEAD)).toString(16).padStart(40, "0"),
    label: new TextDecoder().decode(bytes.subarray(HEAD + 32 * ELEMENTS)),
    public: el.slice(0, 5),
    proof: {
      pi_a: [el[5], el[6], "1"],
      pi_b: [
        [el[7], el[8]],
        [el[9], el[10]],
        ["1", "0"],
      ],
      pi_c: [el[11], el[12], "1"],
      protocol: "groth16",
      curve: "bn128",
    },
  };
}
