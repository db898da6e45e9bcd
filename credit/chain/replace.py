"""Replacing a stuck transaction: the same call and nonce, signed again with higher fees.

Nodes (geth, Besu, anvil) take a transaction with the nonce of one in their pool only if it pays
more: each fee at least ``BUMP_PERCENT`` more than the one it replaces. Both transactions have
the nonce, so at most one of them is ever mined; the caller keeps both hashes and settles
whichever it finds mined.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions import TypedTransaction
from eth_utils import to_checksum_address
from hexbytes import HexBytes

from credit.errors import ChainError

BUMP_PERCENT = 13  # geth and Besu want 10 % more on each fee, anvil 10 %: a margin above both


@dataclass(frozen=True)
class Replacement:
    """A signed replacement: its raw bytes, hash and fees."""

    raw: bytes
    tx_hash: str
    nonce: int
    max_fee: int
    tip: int


def fees_of(raw: bytes) -> tuple[int, int, int]:
    """(nonce, maxFeePerGas, maxPriorityFeePerGas) of a signed EIP-1559 transaction."""
    tx = _decoded(raw)
    return int(tx["nonce"]), int(tx["maxFeePerGas"]), int(tx["maxPriorityFeePerGas"])


def bumped(raw: bytes, account: LocalAccount, floor: dict[str, int]) -> Replacement:
    """``raw`` signed again by ``account`` with the same nonce, call and gas, each fee raised by
    at least ``BUMP_PERCENT`` and to at least ``floor`` (the fees a new transaction would get
    now: :func:`credit.chain.rawtx.current_fees`)."""
    tx = _decoded(raw)
    if _sender_of(raw) != account.address.lower():
        raise ChainError("a replacement must be signed by the key of the transaction it replaces")
    tip = max(_raise(int(tx["maxPriorityFeePerGas"])), int(floor["maxPriorityFeePerGas"]))
    max_fee = max(_raise(int(tx["maxFeePerGas"])), int(floor["maxFeePerGas"]), tip)
    new: dict[str, Any] = {
        "type": 2,
        "chainId": int(tx["chainId"]),
        "nonce": int(tx["nonce"]),
        "to": to_checksum_address(HexBytes(tx["to"]).to_0x_hex()),
        "value": int(tx["value"]),
        "gas": int(tx["gas"]),
        "data": bytes(tx["data"]),
        "accessList": list(tx.get("accessList") or ()),
        "maxFeePerGas": max_fee,
        "maxPriorityFeePerGas": tip,
    }
    signed = account.sign_transaction(new)
    return Replacement(
        bytes(signed.raw_transaction),
        "0x" + bytes(signed.hash).hex(),
        int(tx["nonce"]),
        max_fee,
        tip,
    )


def next_block_fees(w3: Any) -> dict[str, int]:
    """EIP-1559 fees for the block being built: 2 * its base fee + 1 gwei tip. The pending
    block's base fee, not the latest's: a stuck transaction is often one the base fee outgrew."""
    try:
        block = w3.eth.get_block("pending")
    except Exception:  # a node without a pending block
        block = w3.eth.get_block("latest")
    base = int(block.get("baseFeePerGas", 0) or 0)
    tip = 10**9
    return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}


def _raise(fee: int) -> int:
    return fee + (fee * BUMP_PERCENT + 99) // 100 + 1


def _decoded(raw: bytes) -> dict[str, Any]:
    if not raw or raw[0] != 2:
        raise ChainError("only EIP-1559 (type 2) transactions are replaced")
    return dict(TypedTransaction.from_bytes(HexBytes(raw)).as_dict())


def _sender_of(raw: bytes) -> str:
    from eth_account import Account

    return str(Account.recover_transaction(raw)).lower()
