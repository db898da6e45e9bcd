"""Fast signing and ``relayClaims`` calldata for benchmarks that fill a chain with many records.

coincurve signs directly (eth-account's typed-data path is ~50x slower per signature); the ABI
types mirror ``SignedClaim[]`` and ``Endorsement[]`` in contracts/Common.sol.
"""

from __future__ import annotations

from typing import Any

import coincurve
from eth_abi import encode as abi_encode

CLAIM = "(address,uint16,uint16,uint48,uint48,uint32,bytes32,bytes32,bytes32)[]"
ENDORSEMENT = "(uint8,uint48,uint256,bytes32,bytes32)[]"
ZERO32 = b"\x00" * 32


def compact_sign(key: coincurve.PrivateKey, digest: bytes) -> tuple[bytes, bytes]:
    """An EIP-2098 (r, vs) signature of ``digest``; libsecp256k1 always gives a low s."""
    sig = key.sign_recoverable(digest, hasher=None)
    s = int.from_bytes(sig[32:64], "big") | (sig[64] << 255)
    return sig[:32], s.to_bytes(32, "big")


def relay_calldata(selector: bytes, claims: list[Any], endorsements: list[Any]) -> bytes:
    """``relayClaims(claims, endorsements)`` calldata from tuples."""
    return selector + abi_encode([CLAIM, ENDORSEMENT], [claims, endorsements])
