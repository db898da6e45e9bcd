"""Turn revert data into typed errors carrying the Solidity custom-error name and arguments."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector, to_bytes
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from credit.errors import ChainError, ContractRevert

# Solidity's built-in Error(string) and Panic(uint256); custom errors come from the ABIs.
_EXTRA = [
    {"type": "error", "name": "Error", "inputs": [{"name": "message", "type": "string"}]},
    {"type": "error", "name": "Panic", "inputs": [{"name": "code", "type": "uint256"}]},
]


def _canonical_type(param: dict[str, Any]) -> str:
    t = param["type"]
    if t.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){t[5:]}"
    return str(t)


class ErrorDecoder:
    """Knows every custom error of a set of ABIs by its 4-byte selector."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        for abi in [*abis, _EXTRA]:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [_canonical_type(p) for p in item["inputs"]]
                names = [p["name"] or f"arg{i}" for i, p in enumerate(item["inputs"])]
                selector = function_signature_to_4byte_selector(
                    f"{item['name']}({','.join(types)})"
                )
                self._errors[selector] = (item["name"], types, names)

    def decode(self, data: bytes) -> ContractRevert:
        """A :class:`ContractRevert` for raw revert ``data`` (selector + ABI-encoded arguments)."""
        if len(data) < 4:
            return ContractRevert("EmptyRevert", {}, "the transaction reverted without a reason")
        known = self._errors.get(data[:4])
        if known is None:
            return ContractRevert("UnknownError", {"data": "0x" + data.hex()})
        name, types, names = known
        values = decode(types, data[4:])
        return ContractRevert(name, dict(zip(names, (_plain(v) for v in values), strict=True)))

    def from_exception(self, exc: BaseException) -> ChainError:
        """Map an exception raised by web3 or eth-tester during a call to a typed error (one that
        is typed already, such as :class:`NodeUnavailable` from the transport, is kept)."""
        if isinstance(exc, ChainError):
            return exc
        data = _revert_data(exc)
        if data is None:
            return ChainError(f"the call failed: {exc}")
        return self.decode(data)


def _revert_data(exc: BaseException) -> bytes | None:
    if isinstance(exc, ContractCustomError | ContractPanicError | ContractLogicError):
        raw = exc.data
        if isinstance(raw, str) and raw.startswith("0x"):
            return to_bytes(hexstr=raw)
        if isinstance(raw, bytes):
            return raw
        return None
    # eth-tester raises TransactionFailed("execution reverted: b'...'") with the raw data
    if type(exc).__name__ == "TransactionFailed" and exc.args:
        arg = exc.args[0]
        if isinstance(arg, bytes):
            return arg
        text = str(arg)
        marker = "execution reverted: b"
        if text.startswith(marker):
            value = ast.literal_eval(text[len(marker) - 1 :])
            return value if isinstance(value, bytes) else None
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value
