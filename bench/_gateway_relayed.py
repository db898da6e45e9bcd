"""End-to-end relaying through the gateway over real HTTP, timed until the chain credits it all.

Residents' claims are POSTed from ``concurrency`` client threads sharing one keep-alive client
(bodies signed and JSON-encoded before the clock starts, as wallets do it before sending), either
one request each (``bulk`` 1, ``POST /v1/claims``) or ``bulk`` claims per request (``POST
/v1/claims/batch``, as a kiosk uploading claims its residents signed offline). Records come in
chunks of the relay's batch size; as soon as every claim of a chunk is accepted, the chunk's two
evaluators POST their confirmation over its record ids (sorted, as the gateway requires), each
from their own client thread, at the same time (evaluators are people with their own devices).
The clock runs from the first request until the last ``RecordCredited`` event of these records is
on chain (logs of the ledger's address read incrementally), so the figure covers intake,
batching, signing, broadcasting and mining: everything between a resident's wallet and the
ledger.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from eth_utils import keccak
from web3 import HTTPProvider, Web3

from bench._gateway_city import City, Record

CREDITED_TOPIC = (
    "0x" + keccak(text="RecordCredited(bytes32,address,uint16,uint16,uint48,uint16)").hex()
)


TIMEOUT_SECONDS = 300
EVALUATOR_THREADS = 8  # evaluators are people with their own devices: several post at once


_JSON = {"Content-Type": "application/json"}


def _client(base: str, connections: int) -> httpx.Client:
    """One keep-alive client for every load thread (httpx's client is thread-safe), made before
    the clock starts: a client per thread would build an SSL context each (~20 ms of CPU, though
    the gateway is plain HTTP), charged to the machine the gateway is measured on."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.Client(base_url=base, timeout=60.0, limits=limits, verify=False)


def _post(client: httpx.Client, path: str, body: bytes, expect: int = 202) -> Any:
    """POST an already encoded JSON body (wallets sign and encode before they send)."""
    response = client.post(path, content=body, headers=_JSON)
    if response.status_code != expect:
        raise RuntimeError(f"POST {path} -> {response.status_code}: {response.text[:300]}")
    return response.json()


def _encoded(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _claim_requests(bodies: list[dict[str, Any]], bulk: int) -> list[tuple[int, str, bytes, int]]:
    """``(claims, path, body, expected status)``: one ``POST /v1/claims`` per claim (``bulk``
    1), else ``POST /v1/claims/batch`` requests of up to ``bulk`` claims."""
    if bulk == 1:
        return [(1, "/v1/claims", _encoded(body), 202) for body in bodies]
    return [
        (len(part), "/v1/claims/batch", _encoded({"claims": part}), 200)
        for part in (bodies[j : j + bulk] for j in range(0, len(bodies), bulk))
    ]


def _check_batch(answer: Any) -> None:
    if isinstance(answer, dict) and answer.get("refused"):
        refused = next(r for r in answer["results"] if not r["accepted"])
        raise RuntimeError(f"the gateway refused a claim: {refused}")


def credited_since(w3: Web3, ledger: str, from_block: int) -> Callable[[], set[str]]:
    """A poller: each call returns every record id credited since ``from_block`` (so far).

    Raw JSON-RPC (no web3 result formatting): the poller shares the machine with the gateway
    and the node it measures, so it should cost them as little as possible."""
    seen: set[str] = set()
    state = {"next": from_block}
    provider: Any = w3.provider
    address = Web3.to_checksum_address(ledger)

    def call(method: str, params: list[Any]) -> Any:
        answer = provider.make_request(method, params)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def poll() -> set[str]:
        if not isinstance(provider, HTTPProvider):  # the embedded chain: web3 as usual
            head = int(w3.eth.block_number)
            if head >= state["next"]:
                found = w3.eth.get_logs(
                    {
                        "address": address,
                        "fromBlock": state["next"],
                        "toBlock": head,
                        "topics": [CREDITED_TOPIC],
                    }
                )
                seen.update("0x" + bytes(log["topics"][1]).hex() for log in found)
                state["next"] = head + 1
            return seen
        head = int(call("eth_blockNumber", []), 16)
        if head >= state["next"]:
            logs = call(
                "eth_getLogs",
                [
                    {
                        "address": address,
                        "fromBlock": hex(state["next"]),
                        "toBlock": hex(head),
                        "topics": [CREDITED_TOPIC],
                    }
                ],
            )
            seen.update(str(log["topics"][1]).lower() for log in logs)
            state["next"] = head + 1
        return seen

    return poll


def relay_through_gateway(
    city: City,
    base: str | list[str],
    records: list[Record],
    chunk: int,
    concurrency: int,
    bulk: int = 1,
) -> dict[str, Any]:
    """POST ``records`` (``bulk`` per request) and their confirmations (one per evaluator per
    ``chunk`` records); records per second until all are credited."""
    chunks = [records[i : i + chunk] for i in range(0, len(records), chunk)]
    # every request body is signed and encoded before the clock starts, as wallets do it
    requests = [
        (i, *request)
        for i, c in enumerate(chunks)
        for request in _claim_requests([r.as_body() for r in c], bulk)
    ]
    confirmations = []
    for c in chunks:
        ids = sorted(r.record_id for r in c)
        confirmations.append(
            [_encoded(e.as_body(ids)) for e in city.endorse(ids, c[0].record.deadline)]
        )
    wanted = {"0x" + r.record_id.hex() for r in records}
    poll = credited_since(city.w3, str(city.system.ledger.address), city.w3.eth.block_number + 1)
    bases = [base] if isinstance(base, str) else base  # several API processes: requests in turn
    clients = [_client(b, concurrency + EVALUATOR_THREADS) for b in bases]
    errors: list[BaseException] = []
    left = [len(c) for c in chunks]
    lock = threading.Lock()
    pool = ThreadPoolExecutor(concurrency, thread_name_prefix="bench-client")
    # evaluators confirm as soon as a chunk is in, not behind every resident still posting
    evaluators = ThreadPoolExecutor(EVALUATOR_THREADS, thread_name_prefix="bench-evaluator")

    def confirm(n: int, body: bytes) -> None:
        try:
            _post(clients[n % len(clients)], "/v1/confirmations", body)
        except BaseException as exc:
            errors.append(exc)

    def claim(n: int, i: int, claims: int, path: str, body: bytes, expect: int) -> None:
        try:
            _check_batch(_post(clients[n % len(clients)], path, body, expect))
        except BaseException as exc:
            errors.append(exc)
            return
        with lock:
            left[i] -= claims
            done = left[i] == 0
        if done:
            for k, body in enumerate(confirmations[i]):  # each evaluator on their own, at once
                evaluators.submit(confirm, n + k, body)

    started = time.perf_counter()
    for n, request in enumerate(requests):
        pool.submit(claim, n, *request)
    accepted_at = None
    deadline = started + TIMEOUT_SECONDS
    while time.perf_counter() < deadline and not errors:
        if accepted_at is None and not any(left):
            accepted_at = time.perf_counter()
        if wanted <= poll():
            break
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    pool.shutdown(wait=True)
    evaluators.shutdown(wait=True)
    for client in clients:
        client.close()
    if errors:
        raise RuntimeError(f"the gateway refused a request: {errors[0]}")
    missing = len(wanted - poll())
    if missing:
        raise RuntimeError(f"{missing} records were not credited within {TIMEOUT_SECONDS} s")
    intake = (accepted_at or time.perf_counter()) - started
    return {
        "records": len(records),
        "seconds": round(seconds, 3),
        "records_per_s": round(len(records) / seconds, 1),
        "claims_accepted_per_s": round(len(records) / intake, 1),
        "client_threads": concurrency,
        "claims_per_request": bulk,
        "requests": len(requests) + sum(len(c) for c in confirmations),
    }
