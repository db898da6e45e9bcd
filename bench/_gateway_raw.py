"""The two plain-web3 baselines of the gateway benchmark: batches, and one transaction per record.

Both send ``relayClaims`` from one key with stock web3 (its own ``HTTPProvider``, sign locally,
``eth_sendRawTransaction``),
without the gateway: the records and the evaluators' signatures are made before the clock starts,
as the residents' and evaluators' wallets make them before they reach the gateway. Transactions
are sent back to back (nonces counted locally, no wait between them) and the clock stops when
the last receipt is in and every transaction succeeded: the most a script can get from the node.
The same method for both baselines, so their ratio is the effect of batching alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from bench._gateway_city import City, Record

RECEIPT_POLL_SECONDS = 0.002
GAS_FIXED, GAS_PER_RECORD = 80_000, 45_000


def _send_all(
    w3: Web3, account: LocalAccount, to: str, calldata: Sequence[bytes], gas: Sequence[int]
) -> list[bytes]:
    chain_id = int(w3.eth.chain_id)
    nonce = int(w3.eth.get_transaction_count(account.address, "pending"))
    base = int(w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
    hashes = []
    for data, limit in zip(calldata, gas, strict=True):
        tx = {
            "type": 2,
            "to": to,
            "data": data,
            "gas": limit,
            "value": 0,
            "nonce": nonce,
            "chainId": chain_id,
            "maxFeePerGas": 4 * base + 10**9,
            "maxPriorityFeePerGas": 10**9,
        }
        signed = account.sign_transaction(tx)  # type: ignore[arg-type]
        hashes.append(bytes(w3.eth.send_raw_transaction(signed.raw_transaction)))
        nonce += 1
    return hashes


def _wait_all(w3: Web3, hashes: Sequence[bytes]) -> int:
    """Wait for every receipt; returns the gas used; raises if one reverted."""
    gas = 0
    for tx_hash in hashes:
        receipt = w3.eth.wait_for_transaction_receipt(
            tx_hash,  # type: ignore[arg-type]
            timeout=120,
            poll_latency=RECEIPT_POLL_SECONDS,
        )
        if receipt["status"] != 1:
            raise RuntimeError(f"relayClaims 0x{tx_hash.hex()} reverted")
        gas += int(receipt["gasUsed"])
    return gas


def plain_web3(w3: Web3) -> Web3:
    """A stock web3 on ``w3``'s node: its own ``HTTPProvider`` (``requests``), as a plain
    script has, not the gateway's kept-alive transport; ``w3`` itself off HTTP (eth-tester)."""
    provider = w3.provider
    if not isinstance(provider, HTTPProvider):
        return w3
    return Web3(HTTPProvider(provider.endpoint_uri, request_kwargs={"timeout": 120}))


def relay_batches(
    city: City, account: LocalAccount, records: list[Record], batch: int, w3: Web3 | None = None
) -> dict[str, float]:
    """Relay ``records`` in ``relayClaims`` batches of ``batch`` through ``w3`` (default: a
    plain web3, :func:`plain_web3`); records per second and gas."""
    chunks = [records[i : i + batch] for i in range(0, len(records), batch)]
    calldata = [city.relay_calldata(chunk) for chunk in chunks]  # signed before the clock
    gas = [GAS_FIXED + GAS_PER_RECORD * len(chunk) for chunk in chunks]
    w3 = w3 or plain_web3(city.w3)
    started = time.perf_counter()
    hashes = _send_all(w3, account, str(city.system.ledger.address), calldata, gas)
    used = _wait_all(w3, hashes)
    seconds = time.perf_counter() - started
    return {
        "records": len(records),
        "transactions": len(chunks),
        "seconds": round(seconds, 3),
        "records_per_s": round(len(records) / seconds, 1),
        "gas_per_record": round(used / len(records)),
    }


def headline(relayed: float, ceiling: float, one_tx: float) -> dict[str, float]:
    """The three measured rates of a chain and the two ratios the goals are set on."""
    return {
        "relayed_records_per_s": relayed,
        "raw_batch_ceiling_per_s": ceiling,
        "one_tx_per_record_per_s": one_tx,
        "relayed_vs_ceiling": round(relayed / ceiling, 3),
        "relayed_vs_one_tx": round(relayed / one_tx, 2),
    }
