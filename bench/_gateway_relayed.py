"""End-to-end relaying through the gateway over real HTTP, timed until the chain credits it all.

Residents' claims are POSTed one request each from ``concurrency`` client threads (keep-alive
connections); as soon as every claim of a chunk is accepted, the chunk's two evaluators POST
their confirmation over its record ids (sorted, as the gateway requires). The clock runs from
the first request until the last ``RecordCredited`` event of these records is on chain (logs of
the ledger's address read incrementally), so the figure covers intake, batching, signing,
broadcasting and mining: everything between a resident's wallet and the ledger.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from eth_utils import keccak
from web3 import Web3

from bench._gateway_city import City, Record

CREDITED_TOPIC = (
    "0x" + keccak(text="RecordCredited(bytes32,address,uint16,uint16,uint48,uint16)").hex()
)


class _Clients(threading.local):
    client: httpx.Client | None = None


def _post(
    clients: _Clients, base: str, path: str, body: dict[str, Any], timeout: float = 30.0
) -> None:
    if clients.client is None:
        clients.client = httpx.Client(base_url=base, timeout=timeout)
    response = clients.client.post(path, json=body)
    if response.status_code != 202:
        raise RuntimeError(f"POST {path} -> {response.status_code}: {response.text[:300]}")


def credited_since(w3: Web3, ledger: str, from_block: int) -> Callable[[], set[str]]:
    """A poller: each call returns every record id credited since ``from_block`` (so far)."""
    seen: set[str] = set()
    state = {"next": from_block}

    def poll() -> set[str]:
        head = int(w3.eth.block_number)
        if head >= state["next"]:
            logs = w3.eth.get_logs(
                {
                    "address": Web3.to_checksum_address(ledger),
                    "fromBlock": state["next"],
                    "toBlock": head,
                    "topics": [CREDITED_TOPIC],
                }
            )
            seen.update("0x" + bytes(log["topics"][1]).hex() for log in logs)
            state["next"] = head + 1
        return seen

    return poll


def relay_through_gateway(
    city: City, base: str, records: list[Record], chunk: int, concurrency: int
) -> dict[str, float]:
    """POST ``records`` and their confirmations; records per second until all are credited."""
    chunks = [records[i : i + chunk] for i in range(0, len(records), chunk)]
    claim_bodies = [[r.as_body() for r in c] for c in chunks]
    confirmations = []
    for c in chunks:
        ids = sorted(r.record_id for r in c)
        confirmations.append([e.as_body(ids) for e in city.endorse(ids, c[0].record.deadline)])
    wanted = {"0x" + r.record_id.hex() for r in records}
    poll = credited_since(city.w3, str(city.system.ledger.address), city.w3.eth.block_number + 1)
    clients = _Clients()
    errors: list[BaseException] = []
    left = [len(c) for c in chunks]
    lock = threading.Lock()
    pool = ThreadPoolExecutor(concurrency, thread_name_prefix="bench-client")

    def confirm(i: int) -> None:
        try:
            for body in confirmations[i]:
                _post(clients, base, "/v1/confirmations", body)
        except BaseException as exc:
            errors.append(exc)

    def claim(i: int, body: dict[str, Any]) -> None:
        try:
            _post(clients, base, "/v1/claims", body)
        except BaseException as exc:
            errors.append(exc)
            return
        with lock:
            left[i] -= 1
            done = left[i] == 0
        if done:
            pool.submit(confirm, i)

    started = time.perf_counter()
    for i, bodies in enumerate(claim_bodies):
        for body in bodies:
            pool.submit(claim, i, body)
    accepted_at = None
    deadline = started + 120
    while time.perf_counter() < deadline and not errors:
        if accepted_at is None and not any(left):
            accepted_at = time.perf_counter()
        if wanted <= poll():
            break
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    pool.shutdown(wait=True)
    if errors:
        raise RuntimeError(f"the gateway refused a request: {errors[0]}")
    missing = len(wanted - poll())
    if missing:
        raise RuntimeError(f"{missing} records were not credited within 120 s")
    intake = (accepted_at or time.perf_counter()) - started
    return {
        "records": len(records),
        "seconds": round(seconds, 3),
        "records_per_s": round(len(records) / seconds, 1),
        "claims_accepted_per_s": round(len(records) / intake, 1),
        "client_threads": concurrency,
    }
