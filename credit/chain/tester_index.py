"""eth-tester's py-evm backend, finding transactions by hash through py-evm's index; logs of a
block range read straight from py-evm.

eth-tester looks a transaction up by walking the chain back from its head, block by block
(``_get_transaction_by_hash``: "the chain should be able to look these up directly by hash"). A
receipt of block ``n`` costs about 0.5 ms per block above ``n``, and ``eth_getLogs`` reads one
receipt per transaction in its range: on a 200-block chain with a transaction in each block, one
``eth_getLogs`` over the chain took 13.6 s, on 5,000 blocks minutes, all of it under the embedded
chain's one lock. py-evm keeps a hash → (block, index) lookup of the canonical chain; this backend
reads it, and walks the chain only when the lookup is stale (a block a snapshot revert dropped).

:func:`range_logs` reads a range's logs from py-evm's headers and receipts: a block without
transactions costs one header read (eth-tester serializes each block in full). ``eth_getLogs`` over
5,000 blocks holding 300 transactions: 286 s through eth-tester, 1.9 s with the index alone,
0.42 s through the window with both (this machine, December 2026); ``python -m bench.bench_rpc``
measures the three (``bench/results/rpc.json``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from eth.constants import BLANK_ROOT_HASH
from eth.exceptions import TransactionNotFound as EVMTransactionNotFound
from eth_tester import PyEVMBackend
from eth_tester.backends.pyevm import main as pyevm_main
from eth_tester.backends.pyevm.serializers import (
    serialize_transaction,
    serialize_transaction_receipt,
)
from eth_tester.exceptions import TransactionNotFound


class IndexedPyEVMBackend(PyEVMBackend):  # type: ignore[misc]  # eth-tester ships no types
    """:class:`PyEVMBackend` with transaction lookups by py-evm's index (see the module)."""

    def _find(self, transaction_hash: bytes) -> tuple[Any, Any, int]:
        pending = self.chain.get_block()
        for index, transaction in enumerate(pending.transactions):
            if transaction.hash == transaction_hash:
                return pending, transaction, index
        try:
            number, index = self.chain.chaindb.get_transaction_index(transaction_hash)
        except EVMTransactionNotFound as exc:  # never on the canonical chain: no walk needed
            raise TransactionNotFound(
                f"No transaction found for transaction hash: 0x{transaction_hash.hex()}"
            ) from exc
        if number < pending.number:
            block = self.chain.get_canonical_block_by_number(number)
            if index < len(block.transactions) and block.transactions[index].hash == (
                transaction_hash
            ):
                return block, block.transactions[index], index
        # a stale entry (its block was reverted away): eth-tester's walk decides
        found: tuple[Any, Any, int] = pyevm_main._get_transaction_by_hash(
            self.chain, transaction_hash
        )
        return found

    def get_transaction_by_hash(self, transaction_hash: bytes) -> Any:
        block, transaction, index = self._find(transaction_hash)
        is_pending = block.number == self.chain.get_block().number
        return serialize_transaction(block, transaction, index, is_pending)

    def get_transaction_receipt(self, transaction_hash: bytes) -> Any:
        block, transaction, index = self._find(transaction_hash)
        is_pending = block.number == self.chain.get_block().number
        receipts = block.get_receipts(self.chain.chaindb)
        return serialize_transaction_receipt(
            block, receipts, transaction, index, is_pending, self.chain.get_vm()
        )


Topics = Sequence[str | Sequence[str] | None]


def range_logs(
    backend: Any, first: int, last: int, addresses: Collection[str], topics: Topics = ()
) -> list[dict[str, Any]]:
    """The logs of canonical blocks ``first..last`` emitted by ``addresses`` (lowercase hex;
    empty: any) matching ``topics`` (JSON-RPC positional filters), as JSON-RPC log objects.
    Call it holding the embedded chain's lock."""
    chain = backend.chain
    chaindb = chain.chaindb
    wanted = {bytes.fromhex(a[2:]) for a in addresses}
    choices = [
        None if t is None else {bytes.fromhex(x[2:]) for x in ([t] if isinstance(t, str) else t)}
        for t in topics
    ]
    out: list[dict[str, Any]] = []
    for number in range(first, last + 1):
        header = chaindb.get_canonical_block_header_by_number(number)
        if header.transaction_root == BLANK_ROOT_HASH:
            continue
        block = chain.get_canonical_block_by_number(number)
        index = 0
        for tx_index, (tx, receipt) in enumerate(
            zip(block.transactions, block.get_receipts(chaindb), strict=True)
        ):
            for log in receipt.logs:
                position, index = index, index + 1
                log_topics = [t.to_bytes(32, "big") for t in log.topics]
                if wanted and log.address not in wanted:
                    continue
                if not _matches(log_topics, choices):
                    continue
                out.append(
                    {
                        "address": "0x" + log.address.hex(),
                        "topics": ["0x" + t.hex() for t in log_topics],
                        "data": "0x" + log.data.hex(),
                        "blockNumber": hex(number),
                        "blockHash": "0x" + header.hash.hex(),
                        # the block's time, as geth and anvil give it (execution-apis#639): a
                        # replay then needs no header read per block (the browser verifier)
                        "blockTimestamp": hex(header.timestamp),
                        "transactionHash": "0x" + tx.hash.hex(),
                        "transactionIndex": hex(tx_index),
                        "logIndex": hex(position),
                        "removed": False,
                    }
                )
    return out


def _matches(topics: list[bytes], choices: list[set[bytes] | None]) -> bool:
    if len(choices) > len(topics):
        return False
    return all(c is None or t in c for t, c in zip(topics, choices, strict=False))
