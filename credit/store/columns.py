"""The columns several tables share, made in one place so that they are stored alike.

Portable types only (SQLite and PostgreSQL). Addresses and 32-byte values (ids, hashes, the
halves of a signature) are lower-case ``0x`` hex; a row's times are Unix seconds as floats.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Float, Integer, LargeBinary, String

ADDRESS_CHARS = 42  # "0x" and 20 bytes in hex
WORD_CHARS = 66  # "0x" and 32 bytes in hex


def address(name: str, *args: Any, nullable: bool = False, **kwargs: Any) -> Column[Any]:
    """An account address; ``args`` and ``kwargs`` as :class:`Column`'s (``ForeignKey``, ...)."""
    return Column(name, String(ADDRESS_CHARS), *args, nullable=nullable, **kwargs)


def word(name: str, *args: Any, nullable: bool = False, **kwargs: Any) -> Column[Any]:
    """A 32-byte value: a record id, a hash, a digest."""
    return Column(name, String(WORD_CHARS), *args, nullable=nullable, **kwargs)


def row_id(*, numbered: bool = True) -> Column[Any]:
    """The ``id`` primary key: numbered by the database, or given (a table of one row, id 1)."""
    return Column("id", Integer, primary_key=True, autoincrement=numbered)


def signature() -> list[Column[Any]]:
    """An EIP-712 signature in its compact form (EIP-2098): ``r`` and ``vs``."""
    return [word("r"), word("vs")]


def made_and_changed() -> list[Column[Any]]:
    """When the row was made and last changed: ``created_at`` and ``updated_at``."""
    return [Column(name, Float, nullable=False) for name in ("created_at", "updated_at")]


def raw_transaction() -> Column[Any]:
    """``raw_tx``: a signed transaction, stored before it is broadcast (so it can be sent again)."""
    return Column("raw_tx", LargeBinary, nullable=False)
