"""Domain errors of the gateway, and the one place that maps errors to HTTP responses.

Every error response (4xx and 5xx) has the same envelope:
``{"error": {"code": ..., "message": ..., "details": ...}}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from credit import errors as domain
from credit.chain.recover import SignatureFormatError, compact_from_hex, recover_digest
from credit.errors import (
    AuthError,
    ChainError,
    ContractRevert,
    CreditError,
    NodeUnavailable,
    Refusal,
    RuleError,
    StoreBusy,
    StoreError,
    StoreFull,
)
from credit.store.db import store_error

# The domain's refusals by kind (credit.errors: no layer below the gateway names a status).
_REFUSAL_STATUS: dict[type[Refusal], int] = {
    domain.Invalid: 422,
    domain.Forbidden: 403,
    domain.Conflict: 409,
    domain.Unknown: 404,
    domain.OverLimit: 429,
}


def refusal_status(exc: Refusal) -> int:
    """The HTTP status of a domain refusal (400 for a kind with none of its own)."""
    return next((s for k, s in _REFUSAL_STATUS.items() if isinstance(exc, k)), 400)


def refusal_body(exc: Refusal) -> dict[str, Any]:
    """A refusal as one line of a bulk answer: what the single endpoint would answer."""
    return {
        "status": refusal_status(exc),
        "code": exc.code,
        "message": str(exc),
        "details": exc.details,
    }


class ApiError(CreditError):
    """An error with an explicit HTTP status and a stable machine-readable code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.details = details
        self.headers = headers  # e.g. Retry-After on 429 / 503


class NotFound(ApiError):
    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(404, "not_found", message, details)


class Forbidden(ApiError):
    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(403, "forbidden", message, details)


class Conflict(ApiError):
    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(409, "conflict", message, details)


def check_signer(
    signature: bytes, digest: bytes, signer: str, refusal: tuple[int, str, str], again: str
) -> None:
    """Refuse, before any gas is spent, a signature of ``digest`` that ``signer`` did not make:
    ``refusal`` (status, code, message) with the recovered signer, or 400 with its code and
    ``again`` (what to sign again) when the signature would be refused whatever it signs."""
    status, code, message = refusal
    try:
        sig = compact_from_hex(signature.hex())
    except SignatureFormatError as exc:
        raise ApiError(400, code, f"{exc}: {again}") from exc
    recovered = recover_digest(digest, sig)
    if recovered is None or recovered.lower() != signer.lower():
        raise ApiError(status, code, message, {"signer": recovered})


def envelope(
    status: int, code: str, message: str, details: Any = None, headers: Any = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(status_code=status, content=body, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors to HTTP; nothing else in the gateway knows status codes."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return envelope(exc.status, exc.code, str(exc), exc.details, headers=exc.headers)

    @app.exception_handler(Refusal)
    async def _refusal(_: Request, exc: Refusal) -> JSONResponse:
        return envelope(refusal_status(exc), exc.code, str(exc), exc.details)

    @app.exception_handler(AuthError)
    async def _auth(_: Request, exc: AuthError) -> JSONResponse:
        return envelope(401, "unauthorized", str(exc), headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(RuleError)
    async def _rule(_: Request, exc: RuleError) -> JSONResponse:
        return envelope(422, "rule_violation", str(exc))

    @app.exception_handler(ContractRevert)
    async def _revert(_: Request, exc: ContractRevert) -> JSONResponse:
        return envelope(422, "contract_revert", str(exc), {"error": exc.name, "args": exc.args})

    @app.exception_handler(NodeUnavailable)
    async def _node(_: Request, exc: NodeUnavailable) -> JSONResponse:
        # raised by the chain layer's transport for any route that reads or writes the chain
        headers = {"Retry-After": str(exc.retry_after)}
        return envelope(503, "node_unavailable", str(exc), headers=headers)

    @app.exception_handler(ChainError)
    async def _chain(_: Request, exc: ChainError) -> JSONResponse:
        return envelope(503, "chain_unavailable", str(exc))

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JSONResponse:
        return _store_response(exc)

    @app.exception_handler(OperationalError)
    async def _driver(_: Request, exc: OperationalError) -> JSONResponse:
        # an engine made elsewhere than credit.store.db, or a driver error of another kind
        # (cannot open the file, I/O error): still the database's fault, never a 500
        typed = store_error(exc) or StoreError(
            f"the database is unavailable ({type(exc.orig).__name__}): nothing was stored; "
            "retry later, and if it persists an operator should check the database"
        )
        return _store_response(typed)

    @app.exception_handler(CreditError)
    async def _credit(_: Request, exc: CreditError) -> JSONResponse:
        return envelope(400, "bad_request", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return envelope(422, "invalid_request", "the request does not match the schema", problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's answer to a JSON body that is not UTF-8: a 422 like any other bad JSON
            problem = {"loc": ["body"], "msg": "the body is not UTF-8 JSON", "type": "json_invalid"}
            return envelope(422, "invalid_request", "send the body as UTF-8 JSON", [problem])
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            exc.status_code, "http_error"
        )
        return envelope(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def error_response(request: Request, exc: CreditError) -> JSONResponse:
    """The answer the app's exception handlers give ``exc``: for a response that has already
    started (a stream), which can only carry the envelope in its body."""
    handlers = request.app.exception_handlers
    handler = next(handlers[c] for c in type(exc).__mro__ if c in handlers)  # CreditError's last
    response: JSONResponse = await handler(request, exc)
    return response


def _store_response(exc: StoreError) -> JSONResponse:
    """503 ``database_busy`` / ``database_unavailable`` (with Retry-After), 507 ``database_full``.

    The message says the request was not stored, so the client knows sending it again is safe.
    """
    if isinstance(exc, StoreFull):
        status, code = 507, "database_full"
    elif isinstance(exc, StoreBusy):
        status, code = 503, "database_busy"
    else:
        status, code = 503, "database_unavailable"
    headers = None if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
    return envelope(status, code, str(exc), headers=headers)
