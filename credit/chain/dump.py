"""Everything a chain makes public, for privacy scans: every transaction's input, every log, and
every storage slot of every account.

Transactions and logs are read over the ordinary JSON-RPC methods, so they work on any node.
Storage is walked in the state trie of the head block, which needs the embedded chain (py-evm):
JSON-RPC has no method that lists an account's slots.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import rlp
from eth.rlp.accounts import Account
from eth_utils import keccak, to_checksum_address
from trie import HexaryTrie
from trie.iter import NodeIterator
from web3 import Web3

from credit.errors import ChainError

EMPTY_TRIE_ROOT = keccak(rlp.encode(b""))


@dataclass(frozen=True)
class TxInput:
    """A transaction's calldata (the contract's bytecode and arguments for a deployment)."""

    block: int
    tx_hash: str
    to: str | None
    data: bytes


@dataclass(frozen=True)
class LogEntry:
    """An event as the chain keeps it: the emitter, its topics and its data."""

    block: int
    tx_hash: str
    address: str
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class StorageSlot:
    """One non-zero storage word. ``key`` is keccak256 of the slot number, as the trie keeps it;
    ``account`` is the address if known (a sender, recipient, emitter or created contract), else
    the keccak256 of the address."""

    account: str
    key: bytes
    value: bytes  # the 32-byte big-endian word


@dataclass(frozen=True)
class ChainDump:
    """What anyone can read from the chain, up to ``block``."""

    block: int
    transactions: tuple[TxInput, ...]
    logs: tuple[LogEntry, ...]
    storage: tuple[StorageSlot, ...]

    @property
    def accounts_with_storage(self) -> int:
        return len({s.account for s in self.storage})


def dump_chain(w3: Web3) -> ChainDump:
    """Every transaction input, log and (embedded chain only) storage slot up to the head."""
    head = int(w3.eth.block_number)
    txs: list[TxInput] = []
    logs: list[LogEntry] = []
    known: set[str] = set()
    for number in range(head + 1):
        block: Any = w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            tx_hash = "0x" + _bytes(tx["hash"]).hex()
            to = tx.get("to")
            data = tx["input"] if "input" in tx else tx["data"]  # eth-tester says "data"
            txs.append(TxInput(number, tx_hash, to, _bytes(data)))
            known.add(str(tx["from"]))
            receipt: Any = w3.eth.get_transaction_receipt(tx["hash"])
            if receipt.get("contractAddress"):
                known.add(str(receipt["contractAddress"]))
            if to:
                known.add(str(to))
            for log in receipt["logs"]:
                known.add(str(log["address"]))
                logs.append(
                    LogEntry(
                        number,
                        tx_hash,
                        str(log["address"]),
                        tuple(_bytes(t) for t in log["topics"]),
                        _bytes(log["data"]),
                    )
                )
    return ChainDump(head, tuple(txs), tuple(logs), tuple(_storage(w3, known)))


def _storage(w3: Web3, known: set[str]) -> Iterator[StorageSlot]:
    """Every non-zero slot of every account in the head block's state trie."""
    chain = _embedded_chain(w3)
    db = chain.chaindb.db
    names = {keccak(bytes.fromhex(a[2:])): to_checksum_address(a) for a in known}
    state = HexaryTrie(db, chain.get_canonical_head().state_root)
    for hashed_address, encoded in NodeIterator(state).items():
        account = rlp.decode(encoded, sedes=Account)
        if account.storage_root == EMPTY_TRIE_ROOT:
            continue
        owner = names.get(bytes(hashed_address), "0x" + bytes(hashed_address).hex())
        for key, value in NodeIterator(HexaryTrie(db, account.storage_root)).items():
            word = rlp.decode(value)  # an integer, big-endian without leading zeros
            yield StorageSlot(owner, bytes(key), bytes(word).rjust(32, b"\0"))


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return bytes(value)


def _embedded_chain(w3: Web3) -> Any:
    tester = getattr(w3.provider, "ethereum_tester", None)
    chain = getattr(getattr(tester, "backend", None), "chain", None)
    if chain is None:
        raise ChainError(
            "storage can be listed only on the embedded chain: JSON-RPC has no method that lists "
            "an account's slots (use the node's own state dump)"
        )
    return chain
