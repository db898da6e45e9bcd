"""Connections to a chain: the embedded eth-tester chain or any JSON-RPC node."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import Wei

from credit.chain.transport import KeepAliveHTTPProvider
from credit.errors import ChainError


def embedded_web3(backend: Any | None = None, *, path: Path | None = None) -> Web3:
    """A Web3 on an in-process py-evm chain (eth-tester).

    With ``path`` the chain is kept in that SQLite file and resumes from it; otherwise it lives in
    memory (``backend`` defaults to a fresh one).
    """
    from eth_tester import EthereumTester

    from credit.chain.tester_index import IndexedPyEVMBackend

    if backend is None and path is not None:
        from credit.chain.persistent import persistent_backend

        backend = persistent_backend(path)
    tester = EthereumTester(backend or IndexedPyEVMBackend())
    return Web3(LockedTesterProvider(tester))


class LockedTesterProvider(EthereumTesterProvider):
    """eth-tester is not thread-safe: one lock serialises every request (the gateway's relayer,
    indexer and request handlers share one embedded chain). Real nodes need no such lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.RLock()

    @property
    def lock(self) -> threading.RLock:
        """The lock every request takes (for reads that go to py-evm directly)."""
        return self._lock

    def make_request(self, method: Any, params: Any) -> Any:
        with self._lock:
            return super().make_request(method, params)


def rpc_web3(url: str, *, poa: bool = False, timeout: float = 30.0, patience: float = 0.0) -> Web3:
    """A Web3 over HTTP JSON-RPC (kept-alive connections: :mod:`credit.chain.transport`).
    ``poa`` adds the proof-of-authority header middleware; ``patience``: how long a request may
    wait for a rate-limited endpoint (HTTP 429, Retry-After) before failing."""
    try:
        provider = KeepAliveHTTPProvider(url, timeout=timeout, patience=patience)
    except ValueError as exc:
        raise ChainError(f"{exc}: give the node's http:// or https:// URL") from exc
    w3 = Web3(provider)
    if poa:
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    try:
        w3.eth.chain_id  # noqa: B018 - probe the node once, with a clear error
    except Exception as exc:
        raise ChainError(f"no Ethereum node answers at {url}: start it or fix the RPC URL") from exc
    return w3


def rpc_endpoint(w3: Web3) -> tuple[str, bool] | None:
    """The node's URL and whether the proof-of-authority middleware is on, as :func:`rpc_web3`
    would take them again in another process; None for the embedded chain."""
    provider = w3.provider
    if not isinstance(provider, HTTPProvider):
        return None
    poa = any(m is ExtraDataToPOAMiddleware for m, _name in w3.middleware_onion.middleware)
    return str(provider.endpoint_uri), poa


def time_travel(w3: Web3, seconds: int) -> int:
    """Move the chain's clock forward by ``seconds`` and mine a block; returns the new time.

    Works on eth-tester and on anvil (``evm_increaseTime``); tests use it instead of sleeping.
    """
    provider = w3.provider
    if isinstance(provider, EthereumTesterProvider):
        tester = provider.ethereum_tester
        assert tester is not None
        lock = getattr(provider, "_lock", threading.RLock())
        with lock:
            target = int(w3.eth.get_block("latest")["timestamp"]) + seconds
            # the pending block takes the wall clock when it is made: on a busy machine that may
            # be past ``target`` already, and eth-tester refuses to travel backwards
            target = max(target, int(tester.get_block_by_number("pending")["timestamp"]))
            tester.time_travel(target)
            tester.mine_blocks(1)
        return target
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    return int(w3.eth.get_block("latest")["timestamp"])


def fund(w3: Web3, addresses: list[str], wei: int) -> None:
    """Send ``wei`` to each address from the node's first unlocked dev account (dev chains only)."""
    source = w3.eth.accounts[0]
    for address in addresses:
        tx_hash = w3.eth.send_transaction({"from": source, "to": address, "value": Wei(wei)})
        w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.01)


def transfer(w3: Web3, account: Any, addresses: list[str], wei: int) -> list[str]:
    """Send ``wei`` to each address from ``account`` (a local key: any network); returns the
    transaction hashes. Checks the balance first, so a short key sends nothing."""
    fees = w3.eth.gas_price
    need = len(addresses) * (wei + 21_000 * 2 * fees)
    have = w3.eth.get_balance(account.address)
    if have < need:
        raise ChainError(
            f"{account.address} holds {have / 10**18:.6f} ETH, {need / 10**18:.6f} needed "
            f"for {len(addresses)} transfer(s) and their gas: fund it first"
        )
    nonce = w3.eth.get_transaction_count(account.address, "pending")
    hashes = []
    for i, address in enumerate(addresses):
        tx = {
            "to": Web3.to_checksum_address(address),
            "value": Wei(wei),
            "gas": 21_000,
            "maxFeePerGas": Wei(2 * fees),
            "maxPriorityFeePerGas": Wei(min(fees, 10**9)),
            "nonce": nonce + i,
            "chainId": w3.eth.chain_id,
        }
        signed = account.sign_transaction(tx)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.01)
        hashes.append(tx_hash.to_0x_hex())
    return hashes
