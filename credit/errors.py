"""The one error tree of Consensus Credit.

Every error the package raises on purpose derives from :class:`CreditError`, so the edges
(the CLI's one handler, the API's exception handlers) can catch one type and turn it into an
exit code or an HTTP status. Each message says what to do next, not only what went wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

INSTALL_HINT = (
    "Node.js 20 and the npm packages are needed to compile the contracts: "
    "run `make install` (or `npm ci`)"
)


class CreditError(Exception):
    """Root of every deliberate Consensus Credit error.

    Subclasses set ``default_message`` so ``raise SomeError()`` still tells the reader
    what to do next.
    """

    default_message = "Consensus Credit failed; see the message above for what to do next"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class ToolchainError(CreditError):
    """The build toolchain (Node.js, solc-js, OpenZeppelin) is missing or at the wrong version."""

    default_message = INSTALL_HINT


class CompileError(CreditError):
    """Solidity compilation failed; ``errors`` holds solc's formatted messages.

    Each message names the source file and line (``--> contracts/X.sol:12:5``); fix those
    sources and compile again with ``make compile``.
    """

    default_message = (
        "Solidity compilation failed: fix the sources named below, then `make compile`"
    )

    def __init__(self, message: str | None = None, errors: Sequence[str] = ()) -> None:
        self.errors: tuple[str, ...] = tuple(errors)
        text = message or self.default_message
        if self.errors:
            text = text + "\n\n" + "\n".join(e.rstrip() for e in self.errors)
        super().__init__(text)


class ChainError(CreditError):
    """Talking to the chain failed (node unreachable, wrong chain id, transaction dropped).

    Check the RPC URL and chain id in the settings, then retry.
    """

    default_message = (
        "the chain could not be reached or rejected the request: check the RPC URL and "
        "chain id in the settings (CREDIT_*), then retry"
    )


class NodeUnavailable(ChainError, ConnectionError):
    """The chain node could not be reached or did not answer (refused, reset, timed out, an HTTP
    error instead of JSON-RPC): nothing is wrong with the request, only the node is away.

    Raised by the chain layer's transport for every call, so that callers need not guess from
    socket errors. It is also a ``ConnectionError``: web3 retries reads on those, as it always
    did. The message names no URL (node URLs may carry credentials, and callers may be residents).
    """

    default_message = (
        "the blockchain node does not answer: retry in a few seconds; if it lasts, an operator "
        "should check the node (GET /v1/ready says which part is down)"
    )
    retry_after = 5


class ContractRevert(ChainError):
    """A contract call reverted with a custom error.

    ``name`` is the Solidity error name (``LedgerUnknownResident``) and ``args`` its decoded
    arguments by parameter name, so callers and tests assert on both. (``args`` shadows the
    builtin exception tuple on purpose; ``str(err)`` still gives the readable message.)
    """

    def __init__(
        self, name: str, args: Mapping[str, Any] | None = None, message: str | None = None
    ) -> None:
        self.name = name
        self._error_args: dict[str, Any] = dict(args or {})
        rendered = ", ".join(f"{k}={v!r}" for k, v in self._error_args.items())
        super().__init__(
            message
            or f"the contract reverted with {name}({rendered}): check the call against the "
            "error's NatSpec in the interface before retrying"
        )

    @property
    def args(self) -> dict[str, Any]:  # type: ignore[override]
        """The decoded custom-error arguments, by parameter name."""
        return self._error_args

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self._error_args, self.message))


class RuleError(CreditError):
    """A request breaks a credit rule (limits, eligibility, double confirmation).

    Not a bug: show the message to the user and change the request.
    """

    default_message = "the request breaks a credit rule: change the request and submit it again"


class AuthError(CreditError):
    """The caller is not allowed to do this (missing role, bad signature, expired deadline).

    Sign again with a key that holds the needed role, or ask an administrator to grant it.
    """

    default_message = (
        "not authorised: sign with a key that holds the needed role, or ask an administrator "
        "to grant it"
    )


class Refusal(CreditError):
    """A request refused on its merits: the domain says *what* is refused and why, and the edges
    alone say how (the gateway's exception handlers pick the HTTP status of each kind, in
    :mod:`credit.gateway.errors`; no other module names a status).

    ``code`` is stable and machine-readable, the message says what to do next, ``details``
    carries the values behind it.
    """

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


class Invalid(Refusal):
    """The request is well formed but wrong (a signature by someone else, a nonce gap)."""


class Forbidden(Refusal):
    """The signer may not do this (their own claim, a role they do not hold)."""


class Conflict(Refusal):
    """The thing is not in a state that allows it (already received, credited or rejected)."""


class Unknown(Refusal):
    """The thing named (a claim, a record id) was never received."""


class OverLimit(Refusal):
    """The caller holds as much as a limit allows (claims waiting for confirmations): the same
    request succeeds once some of it is done."""


class StoreError(CreditError):
    """The database refused a write for a reason of its own, not the request's.

    Nothing of the request was stored (its transaction was rolled back): the same request may be
    sent again once the database is back. ``retry_after`` is a hint in seconds, or None when an
    operator has to act first.
    """

    default_message = "the database is unavailable: nothing was stored; retry later"
    retry_after: int | None = 5


class StoreBusy(StoreError):
    """Another writer held the database lock for longer than the busy timeout."""

    default_message = (
        "the database is busy (locked by another writer): nothing was stored; retry in a few "
        "seconds"
    )
    retry_after = 2


class StoreFull(StoreError):
    """The database (or the disk under it) is full."""

    default_message = (
        "the database is full: nothing was stored; an operator must free disk space (or raise "
        "the database's size limit), then the same request can be sent again"
    )
    retry_after = None
