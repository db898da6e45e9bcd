"""``POST /rpc``: the public, read-only JSON-RPC window onto this chain: wallets add the network
with it, auditors and residents' browsers read the deployment's logs, transactions and views.

Anonymous, so it is built to cost the gateway little whatever is sent (issue 14, finding 7):

- the event loop only parses, checks and counts; every call that needs the chain runs in a worker
  thread of the window's own, one at a time on the embedded chain (whose lock the relay and the
  indexer share), a few at a time over a node, so the rest of the gateway keeps its threads;
- each client address has a budget of calls a minute (``CREDIT_RPC_CALLS_PER_MINUTE``; a batch
  counts each call), a batch holds at most :data:`MAX_BATCH` calls, and a request gets
  ``CREDIT_RPC_TIME_BUDGET_SECONDS`` in all: calls not done by then are answered ``-32002``;
- what is served, and how each parameter is checked, is :mod:`credit.chain.rpc_params`.

With ``CREDIT_PUBLIC_RPC_URL`` set, wallets are given that URL and the window is off (404).
"""

from __future__ import annotations

from typing import Any

import anyio
import anyio.to_thread
from fastapi import Request
from fastapi.responses import JSONResponse

from credit.chain.rpc_proxy import UNAVAILABLE, RpcRefused, WalletRpc
from credit.gateway.deps import ServicesDep, app_singleton, client_wait
from credit.gateway.errors import ApiError
from credit.gateway.ratelimit import retry_after_header
from credit.gateway.routes._route import Routes
from credit.gateway.services import Services

routes = Routes(tags=["system"])

MAX_BATCH = 10  # wallets batch a handful of reads
NODE_THREADS = 4  # concurrent calls to a node; the embedded chain gets one
LIMIT_EXCEEDED = -32005  # EIP-1474


JSONRPC_ANSWER = {
    "description": "a JSON-RPC 2.0 answer (or a list of them, for a batch): `result`, or "
    "`error` with an EIP-1474 code (-32700 bad JSON, -32600 bad request or batch, -32601 a "
    "method not served, -32602 bad params, -32002 out of time)",
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]
            }
        }
    },
}


@routes.post(
    "/rpc",
    summary="Read-only JSON-RPC for wallets and auditors (blocks, balances, fees, the "
    "deployment's logs, transactions, receipts and views)",
    description="The body is a JSON-RPC 2.0 call or a batch of up to ten (a JSON-RPC "
    "error answers anything else, with status 200 as JSON-RPC over HTTP does).",
    responses={
        200: JSONRPC_ANSWER,
        429: {**JSONRPC_ANSWER, "description": "too many calls (-32005): see Retry-After"},
    },
    errors=(413,),
    codes={404: "`rpc_off`: wallets use the public RPC URL"},
)
async def rpc(request: Request, services: ServicesDep) -> JSONResponse:
    """JSON-RPC 2.0, single calls or batches of up to ten; only what wallets and auditors need is
    served, and only about the deployment's own contracts."""
    public = services.settings.public_rpc_url
    if public:
        raise ApiError(404, "rpc_off", f"this gateway has no JSON-RPC window: wallets use {public}")
    try:
        body: Any = await request.json()
    except ValueError:
        return _error(None, -32700, "parse error: send JSON")
    calls = body if isinstance(body, list) else [body]
    if not calls:
        return _error(None, -32600, "invalid request: an empty batch")
    if len(calls) > MAX_BATCH:
        return _error(None, -32600, f"batch too large: send at most {MAX_BATCH} calls at a time")
    per_minute = services.settings.rpc_calls_per_minute
    wait = client_wait(request, "rpc_limiter", per_minute, cost=len(calls))
    if wait is not None:
        seconds = retry_after_header(wait)
        return _error(
            None,
            LIMIT_EXCEEDED,
            f"too many JSON-RPC calls from this address: wait {seconds} s and try again",
            status=429,
            headers={"Retry-After": seconds},
        )
    window: WalletRpc = app_singleton(request, "rpc_window", lambda: _window(services))
    threads: anyio.CapacityLimiter = app_singleton(
        request,
        "rpc_threads",
        lambda: anyio.CapacityLimiter(1 if window.embedded else NODE_THREADS),
    )
    answers = []
    with anyio.move_on_after(services.settings.rpc_time_budget_seconds):
        for call in calls:
            answers.append(await _answer(window, threads, call))
    budget = services.settings.rpc_time_budget_seconds
    for call in calls[len(answers) :]:
        answers.append(
            _answer_error(
                _id(call), UNAVAILABLE, f"not answered within this request's {budget:g} s: retry"
            )
        )
    return JSONResponse(answers if isinstance(body, list) else answers[0])


def _window(services: Services) -> WalletRpc:
    system = services.system
    return WalletRpc.over(
        system.w3,
        system.record.chain_id,
        services.settings.rpc_time_budget_seconds,
        [c.address for c in system.record.contracts.values()],
    )


async def _answer(window: WalletRpc, threads: anyio.CapacityLimiter, call: Any) -> dict[str, Any]:
    if not isinstance(call, dict) or not isinstance(call.get("method"), str):
        return _answer_error(_id(call), -32600, "invalid request: need a method")
    id_ = call.get("id")
    if isinstance(id_, bool) or not isinstance(id_, str | int | float | None):
        return _answer_error(None, -32600, "invalid request: the id must be a string or number")
    try:
        if window.local(call["method"]):
            result = window.answer(call["method"], call.get("params"))
        else:
            result = await anyio.to_thread.run_sync(
                window.answer, call["method"], call.get("params"), limiter=threads
            )
    except RpcRefused as exc:
        return _answer_error(id_, exc.code, str(exc), exc.data)
    return {"jsonrpc": "2.0", "id": id_, "result": result}


def _id(call: Any) -> Any:
    found = call.get("id") if isinstance(call, dict) else None
    return found if isinstance(found, str | int | float) and not isinstance(found, bool) else None


def _answer_error(id_: Any, code: int, message: str, data: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": id_, "error": error}


def _error(
    id_: Any,
    code: int,
    message: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(_answer_error(id_, code, message), status_code=status, headers=headers)
