"""Raw relay transactions: build and sign offline, broadcast the exact bytes, read the outcome.

The relay's outbox stores the bytes this module signs *before* they are broadcast, and re-sends
them unchanged on retry, so a transaction is never rebuilt with another nonce or content.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import (
    event_abi_to_log_topic,
    function_abi_to_4byte_selector,
    get_abi_input_types,
    to_checksum_address,
)
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.exceptions import TransactionNotFound
from web3.types import RPCEndpoint

from credit.chain.deploy import System
from credit.chain.signing import pack_claim
from credit.errors import ChainError

# Gas of relayClaims, measured on the embedded chain with a margin: a fixed part, each claim
# (signature recovery, id, booking: about 23k measured, more on cold storage) and each endorsement
# (recovery, role read) plus each record it names.
GAS_BASE = 50_000
GAS_PER_CLAIM = 40_000
GAS_PER_ENDORSEMENT = 10_000
GAS_PER_MASK_BIT = 1_000
GAS_CEILING = 29_000_000
# Gas of relayClaimPacked (one claim, its endorsements unpadded), measured on the embedded chain
# (tests/relay/test_packed_relay.py): 58.4k with two endorsements, 66.4k with three, so about
# 42k for the transaction and the claim and 8k per endorsement; the same margin as above.
GAS_PACKED_BASE = 80_000
GAS_PACKED_PER_ENDORSEMENT = 12_000

# Node answers to a re-broadcast that mean "this nonce or this very transaction is taken".
_KNOWN = ("already known", "known transaction", "already imported", "alreadyknown")
_NONCE_LOW = ("nonce too low", "nonce is too low", "invalid nonce", "old nonce", "nonce too small")


class BroadcastError(ChainError):
    """The node refused a raw transaction; ``reason`` is known, nonce_low or other."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Receipt:
    """What a mined transaction left: status (1 ok, 0 reverted), block and raw logs."""

    tx_hash: str
    status: int
    block: int
    gas_used: int
    logs: tuple[Any, ...]
    raw: Any


@dataclass(frozen=True)
class Credited:
    """A RecordCredited event of our ledger."""

    record_id: str
    resident: str
    points: int
    block: int
    tx_hash: str


SKIP_REASONS = ("EXPIRED", "NOT_REGISTERED", "NONCE")  # ClaimSkip of Common.sol, in order
LAST_CLAIM_NONCE = 2**32 - 1  # never used by a claim: CreditLedger._nextNonce


@dataclass(frozen=True)
class Skipped:
    """A ClaimSkipped event of our ledger: relayClaims left the claim out and booked the rest."""

    record_id: str
    resident: str
    reason: str  # a name of SKIP_REASONS
    expected_nonce: int  # the resident's claim nonce at that point of the batch
    given_nonce: int  # the claim's


def relay_gas(n_claims: int, n_endorsements: int, mask_bits: int) -> int:
    """A gas limit for relayClaims that always suffices for a batch of this shape."""
    gas = (
        GAS_BASE
        + GAS_PER_CLAIM * n_claims
        + GAS_PER_ENDORSEMENT * n_endorsements
        + GAS_PER_MASK_BIT * mask_bits
    )
    return min(gas, GAS_CEILING)


def packed_relay_gas(n_endorsements: int) -> int:
    """A gas limit for relayClaimPacked that always suffices for one claim and its endorsements."""
    return min(GAS_PACKED_BASE + GAS_PACKED_PER_ENDORSEMENT * n_endorsements, GAS_CEILING)


def current_fees(w3: Web3) -> dict[str, int]:
    """EIP-1559 fees that stay valid while the base fee doubles: 2 * base + 1 gwei tip."""
    base = int(w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
    tip = 10**9
    return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}


def pending_nonce(w3: Web3, address: str) -> int:
    """The node's next nonce for ``address`` counting its pending transactions."""
    return int(w3.eth.get_transaction_count(to_checksum_address(address), "pending"))


def mined_nonce(w3: Web3, address: str) -> int:
    """How many transactions of ``address`` are mined (the next nonce at the latest block)."""
    return int(w3.eth.get_transaction_count(to_checksum_address(address), "latest"))


def relay_claims_data(
    system: System,
    claims_tuples: Sequence[Sequence[Any]],
    endorsements: Sequence[Sequence[Any]],
) -> bytes:
    """The calldata of ``relayClaims(claims, endorsements)``, for :func:`sign_ledger_call`.

    ABI-encoded straight from the function's ABI (web3's contract layer spends about 0.1 ms per
    claim normalising arguments: a tenth of a relay's time per record)."""
    selector = ledger_selector(system, "relayClaims", RELAY_CLAIMS_TYPES)
    return selector + encode_relay_claims(claims_tuples, endorsements)


def ledger_selector(system: System, name: str, types: Sequence[str] | None = None) -> bytes:
    """The 4-byte selector of the ledger's function ``name``; with ``types``, after checking
    that the deployed ABI's function takes those arguments (else ChainError)."""
    fn = function_abi(system, name)
    if types is not None and get_abi_input_types(fn) != list(types):
        raise ChainError(f"this ledger's {name} takes {get_abi_input_types(fn)}")
    return bytes(function_abi_to_4byte_selector(fn))


RELAY_CLAIMS_TYPES = (
    "(address,uint16,uint16,uint48,uint48,uint32,bytes32,bytes32,bytes32)[]",
    "(uint8,uint48,uint256,bytes32,bytes32)[]",
)
_CLAIM_BITS = (160, 16, 16, 48, 48, 32)  # the words before evidence, r and vs
_ENDORSEMENT_BITS = (8, 48, 256)  # before r and vs


def _word(value: int, bits: int) -> bytes:
    if not 0 <= value < 1 << bits:
        raise ValueError(f"{value} is not a uint{bits}")
    return value.to_bytes(32, "big")


def _bytes32(value: bytes) -> bytes:
    if len(value) != 32:
        raise ValueError(f"not 32 bytes: 0x{bytes(value).hex()}")
    return bytes(value)


def encode_relay_claims(
    claims_tuples: Sequence[Sequence[Any]], endorsements: Sequence[Sequence[Any]]
) -> bytes:
    """``abi.encode(claims, endorsements)`` for relayClaims, word by word: both are arrays of
    static tuples, so the encoding is two offsets, then each array's length and its tuples'
    words. The same bytes as eth_abi (tests compare them) at a tenth of its time, and the same
    refusal of a value outside its type."""
    out = [(64).to_bytes(32, "big"), (96 + 288 * len(claims_tuples)).to_bytes(32, "big")]
    out.append(len(claims_tuples).to_bytes(32, "big"))
    for resident, *numbers, evidence, r, vs in claims_tuples:
        if not (isinstance(resident, str) and len(resident) == 42 and resident[:2] == "0x"):
            raise ValueError(f"not an address: {resident!r}")
        out.append(_word(int(resident[2:], 16), 160))
        out += [_word(int(v), b) for v, b in zip(numbers, _CLAIM_BITS[1:], strict=True)]
        out += [_bytes32(evidence), _bytes32(r), _bytes32(vs)]
    out.append(len(endorsements).to_bytes(32, "big"))
    for *numbers, r, vs in endorsements:
        out += [_word(int(v), b) for v, b in zip(numbers, _ENDORSEMENT_BITS, strict=True)]
        out += [_bytes32(r), _bytes32(vs)]
    return b"".join(out)


def relay_claim_packed_data(
    system: System, claim_tuple: Sequence[Any], endorsements: Sequence[Sequence[Any]]
) -> bytes:
    """The calldata of ``relayClaimPacked(packed)`` for one claim and its endorsements (each
    with mask 1, as in a batch of one), for :func:`sign_ledger_call`. The ledger books the claim
    as ``relayClaims`` would, with the same events and custom errors, for less calldata gas."""
    selector = ledger_selector(system, "relayClaimPacked")
    return selector + abi_encode(["bytes"], [pack_claim(claim_tuple, endorsements)])


def sign_ledger_call(
    system: System,
    signer_account: LocalAccount,
    data: bytes,
    nonce: int,
    gas: int,
    fees: dict[str, int],
) -> tuple[bytes, str]:
    """A signed EIP-1559 call of the ledger with ``data``: (raw bytes, tx hash)."""
    tx: dict[str, Any] = {
        "type": 2,
        "chainId": system.record.chain_id,
        "nonce": nonce,
        "to": system.ledger.address,
        "value": 0,
        "gas": gas,
        "data": data,
        **fees,
    }
    signed = signer_account.sign_transaction(tx)
    return bytes(signed.raw_transaction), "0x" + bytes(signed.hash).hex()


def broadcast(w3: Web3, raw: bytes) -> str:
    """Send raw signed bytes; returns the hash or raises BroadcastError with a reason."""
    try:
        return "0x" + bytes(w3.eth.send_raw_transaction(HexBytes(raw))).hex()
    except Exception as exc:  # nodes and eth-tester word refusals differently
        text = str(exc).lower()
        if any(marker in text for marker in _KNOWN):
            raise BroadcastError("known", str(exc)) from exc
        if any(marker in text for marker in _NONCE_LOW) or _below_expected(text):
            raise BroadcastError("nonce_low", str(exc)) from exc
        raise BroadcastError("other", f"the node refused the transaction: {exc}") from exc


def _below_expected(text: str) -> bool:
    """eth-tester says "Invalid transaction nonce: Expected 13, but got 12"."""
    m = re.search(r"expected (\d+), but got (\d+)", text)
    return m is not None and int(m.group(2)) < int(m.group(1))


def receipt_of(w3: Web3, tx_hash: str) -> Receipt | None:
    """The receipt of ``tx_hash`` once mined, else None."""
    try:
        r = w3.eth.get_transaction_receipt(HexBytes(tx_hash))
    except TransactionNotFound:
        return None
    if r is None or r.get("blockNumber") is None:
        return None
    return Receipt(
        tx_hash=tx_hash,
        status=int(r["status"]),
        block=int(r["blockNumber"]),
        gas_used=int(r["gasUsed"]),
        logs=tuple(r["logs"]),
        raw=r,
    )


def function_abi(system: System, name: str) -> Any:
    return next(
        dict(i) for i in system.ledger.abi if i.get("type") == "function" and i.get("name") == name
    )


def lean_receipt_of(w3: Web3, tx_hash: str) -> Receipt | None:
    """:func:`receipt_of` without web3's result formatting (over HTTP: one raw request), for
    the relay's receipts of 100 logs and more; ``logs`` hold the address (lower-case), the
    topics and the data as bytes, and ``raw`` is None."""
    provider = w3.provider
    if not isinstance(provider, HTTPProvider):
        full = receipt_of(w3, tx_hash)
        if full is None:
            return None
        return Receipt(
            full.tx_hash,
            full.status,
            full.block,
            full.gas_used,
            tuple(_lean_log(log) for log in full.logs),
            None,
        )
    answer = provider.make_request(RPCEndpoint("eth_getTransactionReceipt"), [tx_hash])
    if "error" in answer:
        raise ChainError(f"the node refused the receipt of {tx_hash}: {answer['error']}")
    r = answer.get("result")
    if r is None or r.get("blockNumber") is None:
        return None
    return Receipt(
        tx_hash=tx_hash,
        status=int(r["status"], 16),
        block=int(r["blockNumber"], 16),
        gas_used=int(r["gasUsed"], 16),
        logs=tuple(_lean_log(log) for log in r["logs"]),
        raw=None,
    )


def _bytes(value: Any) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _lean_log(log: Any) -> dict[str, Any]:
    return {
        "address": str(log["address"]).lower(),
        "topics": [_bytes(t) for t in log["topics"]],
        "data": _bytes(log["data"]),
    }


def static_events(
    system: System, receipt: Receipt, name: str
) -> list[tuple[list[bytes], dict[str, int]]]:
    """Event ``name`` of OUR ledger in ``receipt`` (look-alikes ignored): each log's topics and
    its unindexed fields by name.

    Decoded from the raw logs with the event's ABI, for events whose unindexed fields are all
    static uints (one word each, read in place): web3's generic event processing, and eth_abi's
    generic decoder, cost more per log than the relay spends on the whole record otherwise."""
    event: Any = next(
        dict(i) for i in system.ledger.abi if i.get("type") == "event" and i.get("name") == name
    )
    topic = bytes(event_abi_to_log_topic(event))
    indexed = sum(1 for p in event["inputs"] if p["indexed"])
    unindexed = [p for p in event["inputs"] if not p["indexed"]]
    types = [str(p["type"]) for p in unindexed]
    assert all(t.startswith("uint") and t[4:].isdigit() for t in types), types
    names = [str(p["name"]) for p in unindexed]
    ledger = system.ledger.address.lower()
    out = []
    for log in receipt.logs:
        topics = [_bytes(t) for t in log["topics"]]
        if str(log["address"]).lower() != ledger or len(topics) != 1 + indexed:
            continue
        data = _bytes(log["data"])
        if topics[0] != topic or len(data) != 32 * len(types):  # not this ABI's shape: not ours
            continue
        words = {n: int.from_bytes(data[32 * i : 32 * i + 32], "big") for i, n in enumerate(names)}
        out.append((topics, words))
    return out


def credited_events(system: System, receipt: Receipt) -> list[Credited]:
    """RecordCredited events in ``receipt`` emitted by OUR ledger only (look-alikes ignored)."""
    return [
        Credited(
            record_id="0x" + topics[1].hex(),
            resident="0x" + topics[2][12:].hex(),
            points=words["points"],
            block=receipt.block,
            tx_hash=receipt.tx_hash,
        )
        for topics, words in static_events(system, receipt, "RecordCredited")
    ]


def skipped_events(system: System, receipt: Receipt) -> list[Skipped]:
    """ClaimSkipped events in ``receipt`` emitted by OUR ledger only (look-alikes ignored)."""
    return [
        Skipped(
            record_id="0x" + topics[1].hex(),
            resident="0x" + topics[2][12:].hex(),
            reason=SKIP_REASONS[words["reason"]] if words["reason"] < len(SKIP_REASONS) else "",
            expected_nonce=words["expectedNonce"],
            given_nonce=words["givenNonce"],
        )
        for topics, words in static_events(system, receipt, "ClaimSkipped")
    ]


def revert_of(system: System, tx_hash: str, block: int) -> ChainError:
    """Why a mined transaction reverted: replayed as a call on its parent block, decoded."""
    w3 = system.w3
    tx = w3.eth.get_transaction(HexBytes(tx_hash))
    call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
    try:
        w3.eth.call(call, block_identifier=max(block - 1, 0))  # type: ignore[arg-type]
    except Exception as exc:
        return system.decoder.from_exception(exc)
    return ChainError(
        f"transaction {tx_hash} reverted but replaying it did not: out of gas or a state change "
        "earlier in its block"
    )
