"""The one way tests expect a revert: the custom error by name, with exactly its arguments."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from credit.errors import ContractRevert


def norm(value: Any) -> Any:
    """A value as the error decoder reports it: hex strings lower-case, bytes as ``0x`` hex."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, str) and value.startswith("0x"):
        return value.lower()
    if isinstance(value, tuple | list):
        return tuple(norm(v) for v in value)
    return value


def assert_revert(err: ContractRevert, name: str, **args: Any) -> None:
    """The revert is the custom error ``name`` with exactly these arguments."""
    assert err.name == name, f"expected {name}, got {err}"
    assert {k: norm(v) for k, v in err.args.items()} == {k: norm(v) for k, v in args.items()}


@contextmanager
def reverts(name: str, **args: Any) -> Iterator[pytest.ExceptionInfo[ContractRevert]]:
    """Expect the block to revert with custom error ``name`` and exactly ``args``."""
    with pytest.raises(ContractRevert) as info:
        yield info
    assert_revert(info.value, name, **args)
