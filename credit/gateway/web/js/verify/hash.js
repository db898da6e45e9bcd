// @ts-check
// Keccak-256 over 32-bit halves of each lane (no BigInts): the replay hashes tens of thousands
// of Merkle nodes; the pages use it too (rule-set documents, rejection notes).
// Held to Python's keccak by the bit-for-bit replay test (tests/verify/test_browser_replay.py).

const RC_HEX = [
  "0000000000000001", "0000000000008082", "800000000000808a", "8000000080008000",
  "000000000000808b", "0000000080000001", "8000000080008081", "8000000000008009",
  "000000000000008a", "0000000000000088", "0000000080008009", "000000008000000a",
  "000000008000808b", "800000000000008b", "8000000000008089", "8000000000008003",
  "8000000000008002", "8000000000000080", "000000000000800a", "800000008000000a",
  "8000000080008081", "8000000000008080", "0000000080000001", "8000000080008008",
];
const RC_HI = Int32Array.from(RC_HEX, (h) => parseInt(h.slice(0, 8), 16) | 0);
const RC_LO = Int32Array.from(RC_HEX, (h) => parseInt(h.slice(8), 16) | 0);
// rotation offsets by lane index x + 5y
const ROT = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];
// rho and pi: lane i moves to PI[i]
const PI = new Int32Array(25);
for (let x = 0; x < 5; x++) for (let y = 0; y < 5; y++) PI[x + 5 * y] = y + 5 * ((2 * x + 3 * y) % 5);
const RATE = 136; // bytes: 1600 - 2 * 256 bits

const s = new Int32Array(50); // lane i: low half at 2i, high half at 2i + 1
const b = new Int32Array(50);
const c = new Int32Array(10);

function permute() {
  for (let round = 0; round < 24; round++) {
    for (let x = 0; x < 10; x++) c[x] = s[x] ^ s[x + 10] ^ s[x + 20] ^ s[x + 30] ^ s[x + 40];
    for (let x = 0; x < 5; x++) {
      const n = 2 * ((x + 1) % 5);
      const p = 2 * ((x + 4) % 5);
      const lo = c[p] ^ ((c[n] << 1) | (c[n + 1] >>> 31));
      const hi = c[p + 1] ^ ((c[n + 1] << 1) | (c[n] >>> 31));
      for (let y = 0; y < 50; y += 10) {
        s[2 * x + y] ^= lo;
        s[2 * x + y + 1] ^= hi;
      }
    }
    for (let i = 0; i < 25; i++) {
      const lo = s[2 * i];
      const hi = s[2 * i + 1];
      const r = ROT[i];
      const j = 2 * PI[i];
      if (r === 0) {
        b[j] = lo;
        b[j + 1] = hi;
      } else if (r < 32) {
        b[j] = (lo << r) | (hi >>> (32 - r));
        b[j + 1] = (hi << r) | (lo >>> (32 - r));
      } else if (r === 32) {
        b[j] = hi;
        b[j + 1] = lo;
      } else {
        const m = r - 32;
        b[j] = (hi << m) | (lo >>> (32 - m));
        b[j + 1] = (lo << m) | (hi >>> (32 - m));
      }
    }
    for (let y = 0; y < 50; y += 10) {
      for (let x = 0; x < 5; x++) {
        const i = y + 2 * x;
        const i1 = y + 2 * ((x + 1) % 5);
        const i2 = y + 2 * ((x + 2) % 5);
        s[i] = b[i] ^ (~b[i1] & b[i2]);
        s[i + 1] = b[i + 1] ^ (~b[i1 + 1] & b[i2 + 1]);
      }
    }
    s[0] ^= RC_LO[round];
    s[1] ^= RC_HI[round];
  }
}

/**
 * Keccak-256 of ``bytes``: 32 bytes.
 * @param {Uint8Array} bytes
 * @returns {Uint8Array}
 */
export function keccak(bytes) {
  s.fill(0);
  const blocks = Math.floor(bytes.length / RATE) + 1;
  const padded = new Uint8Array(blocks * RATE);
  padded.set(bytes);
  padded[bytes.length] ^= 0x01;
  padded[padded.length - 1] ^= 0x80;
  for (let off = 0; off < padded.length; off += RATE) {
    for (let i = 0; i < RATE / 4; i++) {
      const k = off + 4 * i;
      s[i] ^= padded[k] | (padded[k + 1] << 8) | (padded[k + 2] << 16) | (padded[k + 3] << 24);
    }
    permute();
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const w = s[i];
    out[4 * i] = w & 0xff;
    out[4 * i + 1] = (w >>> 8) & 0xff;
    out[4 * i + 2] = (w >>> 16) & 0xff;
    out[4 * i + 3] = (w >>> 24) & 0xff;
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * ``0x`` and lower-case hex of ``bytes``.
 * @param {Uint8Array} bytes
 */
export function toHex(bytes) {
  let out = "0x";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}

/**
 * The bytes of a ``0x`` hex string (an odd digit count or a stray character is an error).
 * @param {string} hex
 */
export function fromHex(hex) {
  const h = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (h.length % 2 || /[^0-9a-fA-F]/.test(h)) throw new Error(`not hex: ${hex.slice(0, 20)}`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
  return out;
}

/**
 * Keccak-256 of a text (UTF-8), as ``0x`` hex: event topics and function selectors.
 * @param {string} text
 */
export function keccakText(text) {
  return toHex(keccak(new TextEncoder().encode(text)));
}
