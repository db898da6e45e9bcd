"""``POST /rpc``: the read-only JSON-RPC endpoint wallets are given for this chain."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from credit.chain.rpc_proxy import RpcRefused, forward
from credit.gateway.deps import ServicesDep

router = APIRouter(tags=["system"])


@router.post("/rpc", summary="Read-only JSON-RPC for wallets (chain id, blocks, balances, fees)")
async def rpc(request: Request, services: ServicesDep) -> JSONResponse:
    """JSON-RPC 2.0; single requests or batches; every write method is refused."""
    try:
        body: Any = await request.json()
    except ValueError:
        return JSONResponse(
            {
                "jsonrpc": "2.0",
                "id": None,
                "error": {"code": -32700, "message": "parse error: send JSON"},
            }
        )
    calls = body if isinstance(body, list) else [body]
    answers = [_answer(services, call) for call in calls[:50]]
    return JSONResponse(answers if isinstance(body, list) else answers[0])


def _answer(services: Any, call: Any) -> dict[str, Any]:
    if not isinstance(call, dict) or not isinstance(call.get("method"), str):
        return {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32600, "message": "invalid request: need a method"},
        }
    params = call.get("params") or []
    if not isinstance(params, list):
        params = [params]
    try:
        result = forward(services.system.w3, call["method"], params)
    except RpcRefused as exc:
        return {
            "jsonrpc": "2.0",
            "id": call.get("id"),
            "error": {"code": exc.code, "message": str(exc)},
        }
    return {"jsonrpc": "2.0", "id": call.get("id"), "result": result}
