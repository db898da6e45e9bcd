"""Recovering who signed a claim or a confirmation, exactly as the ledger will (OpenZeppelin ECDSA).

The gateway checks signatures before it spends gas: a signature the contract would refuse
(malleable high ``s``, wrong parity, not on the curve) is refused here too. Recovery calls
libsecp256k1 through coincurve directly (the relay recovers one signer per claim it receives);
the tests check it against eth-keys / eth-account.
"""

from __future__ import annotations

from collections.abc import Sequence

import coincurve
from eth_hash.auto import keccak
from eth_utils import to_checksum_address

from credit.chain.eip712 import CompactSignature, Domain, confirmation_digest
from credit.chain.signing import Claim

# secp256k1 order / 2: OpenZeppelin's ECDSA refuses larger ``s`` (EIP-2 malleability).
HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
_S_MASK = (1 << 255) - 1


class SignatureFormatError(ValueError):
    """The signature cannot be parsed or would be refused by the contract whatever it signs."""


def compact_from_hex(signature: str) -> CompactSignature:
    """Parse a 65-byte ``r || s || v`` hex signature (v = 27/28 or 0/1) into EIP-2098 form."""
    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
    except ValueError as exc:
        raise SignatureFormatError("the signature is not hex") from exc
    if len(raw) != 65:
        raise SignatureFormatError("a signature has 65 bytes (r, s, v)")
    if raw[64] not in (0, 1, 27, 28):
        raise SignatureFormatError("the signature's v must be 27 or 28 (or 0 or 1)")
    if int.from_bytes(raw[32:64], "big") > HALF_ORDER:
        raise SignatureFormatError("the signature's s is in the upper half (not EIP-2 canonical)")
    return CompactSignature.from_bytes(raw)


def compact_from_parts(r: str, vs: str) -> CompactSignature:
    """Parse hex ``r`` and ``vs`` (EIP-2098) into a :class:`CompactSignature`."""
    try:
        rb, vsb = bytes.fromhex(r.removeprefix("0x")), bytes.fromhex(vs.removeprefix("0x"))
    except ValueError as exc:
        raise SignatureFormatError("r and vs must be hex") from exc
    if len(rb) != 32 or len(vsb) != 32:
        raise SignatureFormatError("r and vs have 32 bytes each")
    return CompactSignature(rb, vsb)


def recover_address(message_hash: bytes, sig: CompactSignature) -> str | None:
    """The lower-case signer of ``message_hash``, or None where the contract would revert
    (``ECDSA.recover``: s in the upper half, r or s zero, r not on the curve)."""
    vs = int.from_bytes(sig.vs, "big")
    s, parity = vs & _S_MASK, vs >> 255
    if s > HALF_ORDER or s == 0 or not any(sig.r):
        return None
    try:
        public = coincurve.PublicKey.from_signature_and_message(
            sig.r + s.to_bytes(32, "big") + bytes((parity,)), message_hash, hasher=None
        )
    except (ValueError, TypeError):
        return None
    return "0x" + keccak(public.format(compressed=False)[1:])[12:].hex()


def recover_digest(message_hash: bytes, sig: CompactSignature) -> str | None:
    """The checksummed signer of ``message_hash``, or None where the contract would revert."""
    signer = recover_address(message_hash, sig)
    return None if signer is None else str(to_checksum_address(signer))


def claim_signer(domain: Domain, claim: Claim, sig: CompactSignature) -> str | None:
    """Who signed ``claim`` (its record id is the digest), or None."""
    return recover_digest(claim.record_id(domain), sig)


def confirmation_signer(
    domain: Domain, records: Sequence[bytes], kind: int, deadline: int, sig: CompactSignature
) -> str | None:
    """Who signed ``Confirmation(records, kind, deadline)``, or None."""
    return recover_digest(confirmation_digest(domain, records, kind, deadline), sig)
