"""The relay's rows as typed values: what :mod:`credit.store.relay_tables` holds, by column.

The relay's queries (:mod:`credit.relay.records`) return these; the signed fields are the
chain's :class:`~credit.chain.claim_tuples.SignedFields`, which become the contract's tuples.

Queries hand these to the relay instead of untyped mappings. A row read from the database is a
SQLAlchemy ``RowMapping`` (read-only, keyed by column name): :func:`claim_row_of` types one
without copying it, since the relay reads thousands a second and never writes into them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict, cast

from credit.chain.claim_tuples import SignedEndorsement, SignedFields


class NewClaim(SignedFields):
    """A checked claim or report, ready to insert (``reporter`` set for a report)."""

    record_id: str
    reporter: NotRequired[str]


class ClaimRow(SignedFields):
    """A row of ``relay_claims``."""

    record_id: str
    seq: int
    status: str
    reason: str | None  # JSON {"error", "args", "message"} of a rejected claim
    outbox_id: int | None
    tx_hash: str | None
    block: int | None
    points: int | None
    created_at: float
    updated_at: float
    voided: int
    reporter: str | None


class PlanRow(TypedDict):
    """The columns of a ``relay_claims`` row the planner reads (every :class:`ClaimRow` has
    them)."""

    record_id: str
    resident: str
    category: int
    nonce: int
    seq: int
    status: str
    reporter: str | None


class NewEndorsement(SignedEndorsement):
    """A checked confirmation, ready to insert with the ids of the records it names."""

    digest: str
    evaluator: str


class EndorsementRow(NewEndorsement):
    """A row of ``relay_endorsements``."""

    id: int
    status: str
    reason: str | None
    outbox_id: int | None
    created_at: float
    updated_at: float


def claim_row_of(row: Mapping[Any, Any]) -> ClaimRow:
    """A ``relay_claims`` row read with ``.mappings()``, typed (not copied)."""
    return cast(ClaimRow, row)


def plan_row_of(row: Mapping[Any, Any]) -> PlanRow:
    """A row of the planner's columns read with ``.mappings()``, typed (not copied)."""
    return cast(PlanRow, row)


def endorsement_row_of(row: Mapping[Any, Any]) -> EndorsementRow:
    """A ``relay_endorsements`` row read with ``.mappings()``, typed (not copied)."""
    return cast(EndorsementRow, row)
