"""Turning raw chain data into the auditor's values: relay calls into batches, code into its
metadata hash. Pure."""

from __future__ import annotations

from typing import Any

from credit.audit.model import RelayedBatch, RelayedEndorsement, RelayedRecord


def metadata_trailer(code: bytes) -> str:
    """The CBOR metadata solc appends to runtime code (hashes of the sources), as hex."""
    if len(code) < 2:
        return ""
    size = int.from_bytes(code[-2:], "big")
    return code[-(size + 2) :].hex() if size + 2 <= len(code) else ""


def batch_from_call(tx_hash: str, function: str, args: dict[str, Any]) -> RelayedBatch | None:
    """The relay batch a decoded call to the ledger carries, if it is one."""
    if function not in ("relayClaims", "relayReports"):
        return None
    reports = function == "relayReports"
    records = tuple(
        RelayedRecord(
            resident=c["resident"],
            category=int(c["category"]),
            units=int(c["units"]),
            occurred_at=int(c["occurredAt"]),
            deadline=int(c["deadline"]),
            nonce=int(c["nonce"]),
            evidence=bytes.fromhex(c["evidence"][2:]),
            r=bytes.fromhex(c["r"][2:]),
            vs=bytes.fromhex(c["vs"][2:]),
            reporter=c["reporter"] if reports else None,
        )
        for c in args["reports" if reports else "claims"]
    )
    endorsements = tuple(
        RelayedEndorsement(
            int(e["kind"]),
            int(e["deadline"]),
            int(e["mask"]),
            bytes.fromhex(e["r"][2:]),
            bytes.fromhex(e["vs"][2:]),
        )
        for e in args["endorsements"]
    )
    return RelayedBatch(tx_hash, function, records, endorsements)


# PackedClaim.sol: a claim's fields without ABI padding, then 71 bytes per endorsement.
PACKED_CLAIM_BYTES, PACKED_ENDORSEMENT_BYTES = 136, 71


def packed_claim_batch(tx_hash: str, args: bytes) -> RelayedBatch | None:
    """A ``relayClaimPacked(bytes)`` call (the calldata after the selector) as a batch of one
    record whose endorsements all have mask 1; None when it is not one claim plus endorsements
    (the ledger refuses such a call, so it never books anything)."""
    if len(args) < 64:
        return None
    offset = int.from_bytes(args[:32], "big")
    length = int.from_bytes(args[offset : offset + 32], "big") if offset + 32 <= len(args) else -1
    packed = args[offset + 32 : offset + 32 + length]
    count, rest = divmod(length - PACKED_CLAIM_BYTES, PACKED_ENDORSEMENT_BYTES)
    if length < PACKED_CLAIM_BYTES or rest or len(packed) != length:
        return None

    def num(a: int, b: int) -> int:
        return int.from_bytes(packed[a:b], "big")

    record = RelayedRecord(
        resident="0x" + packed[0:20].hex(),
        category=num(20, 22),
        units=num(22, 24),
        occurred_at=num(24, 30),
        deadline=num(30, 36),
        nonce=num(36, 40),
        evidence=packed[40:72],
        r=packed[72:104],
        vs=packed[104:136],
    )
    endorsements = []
    for j in range(count):
        q = PACKED_CLAIM_BYTES + PACKED_ENDORSEMENT_BYTES * j
        e = packed[q : q + PACKED_ENDORSEMENT_BYTES]
        endorsements.append(
            RelayedEndorsement(e[0], int.from_bytes(e[1:7], "big"), 1, e[7:39], e[39:71])
        )
    return RelayedBatch(tx_hash, "relayClaimPacked", (record,), tuple(endorsements))


CLAIM_WORDS, REPORT_WORDS, ENDORSEMENT_WORDS = 9, 10, 5


def _words(data: bytes, offset: int, count: int, width: int) -> list[list[bytes]] | None:
    """``count`` static structs of ``width`` words each, starting at byte ``offset``."""
    end = offset + 32 * count * width
    if end > len(data):
        return None
    return [
        [data[o + 32 * k : o + 32 * (k + 1)] for k in range(width)]
        for o in range(offset, end, 32 * width)
    ]


def _array(data: bytes, head: int, width: int) -> list[list[bytes]] | None:
    if head + 32 > len(data):
        return None
    offset = int.from_bytes(data[head : head + 32], "big")
    if offset + 32 > len(data):
        return None
    count = int.from_bytes(data[offset : offset + 32], "big")
    return _words(data, offset + 32, count, width) if count <= 4096 else None


def _address(word: bytes) -> str:
    return "0x" + word[12:].hex()


def fast_relay_batch(tx_hash: str, function: str, args: bytes) -> RelayedBatch | None:
    """``relayClaims`` / ``relayReports`` arguments (the calldata after the selector) read
    straight from their words: both take two arrays of static structs. None when the encoding is
    not the canonical one (the caller then decodes it with eth_abi)."""
    reports = function == "relayReports"
    width = REPORT_WORDS if reports else CLAIM_WORDS
    rows, ends = _array(args, 0, width), _array(args, 32, ENDORSEMENT_WORDS)
    if rows is None or ends is None:
        return None
    shift = 1 if reports else 0
    records = tuple(
        RelayedRecord(
            resident=_address(w[shift]),
            category=int.from_bytes(w[1 + shift], "big"),
            units=int.from_bytes(w[2 + shift], "big"),
            occurred_at=int.from_bytes(w[3 + shift], "big"),
            deadline=int.from_bytes(w[4 + shift], "big"),
            nonce=int.from_bytes(w[5 + shift], "big"),
            evidence=w[6 + shift],
            r=w[7 + shift],
            vs=w[8 + shift],
            reporter=_address(w[0]) if reports else None,
        )
        for w in rows
    )
    endorsements = tuple(
        RelayedEndorsement(
            int.from_bytes(w[0], "big"),
            int.from_bytes(w[1], "big"),
            int.from_bytes(w[2], "big"),
            w[3],
            w[4],
        )
        for w in ends
    )
    return RelayedBatch(tx_hash, function, records, endorsements)
