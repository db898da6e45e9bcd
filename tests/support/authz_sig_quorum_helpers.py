"""Helpers of test_access_control, test_signatures and test_quorum (kept apart from world.py).

Read-only calls that decode their revert, signature recovery and malleation, appeal signatures
and a ready-made confirmed violation.
"""

from __future__ import annotations

from typing import Any

from eth_keys import keys

from credit.chain.eip712 import CompactSignature, digest, sign_digest
from tests.support.world import PUBLIC, SUPERIOR, Actor, World

ZERO32 = b"\x00" * 32
ZERO_ADDRESS = "0x" + "00" * 20
NO_DEADLINE = 2**48 - 1
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def call(world: World, fn: Any, sender: Actor | None = None) -> Any:
    """A read-only call; a revert comes back as the decoded :class:`ContractRevert`."""
    try:
        return fn.call({"from": sender.address} if sender else {})
    except Exception as exc:
        raise world.system.decoder.from_exception(exc) from exc


def recover(message_hash: bytes, r: bytes, vs: bytes) -> str:
    """The address the contract's ``ECDSA.recover(hash, r, vs)`` returns, lower-case."""
    packed = int.from_bytes(vs, "big")
    s, parity = packed & ((1 << 255) - 1), packed >> 255
    sig = keys.Signature(vrs=(parity, int.from_bytes(r, "big"), s))
    return sig.recover_public_key_from_msg_hash(message_hash).to_checksum_address().lower()


def high_s(r: bytes, vs: bytes) -> tuple[bytes, bytes, int]:
    """The malleated twin of a low-s compact signature (s -> n - s, y-parity flipped), packed
    into (r, vs) the only way the compact form allows: OR-ed with the parity bit."""
    packed = int.from_bytes(vs, "big")
    s, parity = packed & ((1 << 255) - 1), packed >> 255
    twin = SECP256K1_N - s
    return r, (twin | ((parity ^ 1) << 255)).to_bytes(32, "big"), twin


def sign_appeal(
    world: World,
    signer: Actor,
    record_id: bytes,
    statement: bytes,
    nonce: int,
    deadline: int = NO_DEADLINE,
) -> CompactSignature:
    """``signer``'s EIP-712 signature of an Appeal for ``fileAppealBySig``."""
    message = {"recordId": record_id, "statement": statement, "nonce": nonce, "deadline": deadline}
    return sign_digest(signer.key, digest(world.system.domain, "Appeal", message))


def record_violation(world: World, resident: Actor, units: int = 1) -> tuple[Any, bytes]:
    """Report ``resident`` for littering (category 100) as world.superior, confirmed by superior2
    (SUPERIOR, weight 2) and panel (PUBLIC, weight 2): threshold 4 met, SUPERIOR present."""
    signed, rid = world.report(world.superior, resident, 100, units)
    endorsements = world.endorse([rid], [(world.superior2, SUPERIOR), (world.panel, PUBLIC)])
    fn = world.ledger.functions.relayReports([signed], endorsements)
    return world.operator.send(fn, gas=3_000_000), rid


def event_record_id(world: World, receipt: Any, name: str) -> bytes:
    """The ``recordId`` of the one ``name`` event the ledger emitted in ``receipt``."""
    (event,) = world.events(receipt, name)
    return bytes(event["args"]["recordId"])
