"""What the batcher reads to plan a batch (``pending.plan_input``) on a real SQLite file: the
window of the oldest pending claims keeps each resident's nonce chain whole and plans the batch
that reading every pending claim plans."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from credit.relay import confirmations, pending, records
from credit.relay.plan import Quorum, plan_batch
from credit.store.db import make_engine
from credit.store.schema import create_schema

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


RULES = {1: Quorum(3, 2, (2, 1, 1, 2))}
SUPERIOR, EXPERT = 0, 3
BOSS, SAGE = f"0x{0xE1:040x}", f"0x{0xE2:040x}"
SIG = "0x" + "00" * 32


def _resident(n: int) -> str:
    return f"0x{0xA00 + n:040x}"


def _claim(n: int, resident: int, nonce: int) -> dict[str, Any]:
    return {
        "record_id": f"0x{n:064x}",
        "resident": _resident(resident),
        "category": 1,
        "units": 1,
        "occurred_at": 1,
        "evidence": SIG,
        "nonce": nonce,
        "deadline": 10**10,
        "r": SIG,
        "vs": SIG,
    }


def _confirm(engine: Engine, evaluator: str, kind: int, ids: list[str], n: int) -> None:
    row = {"digest": f"0x{n:064x}", "evaluator": evaluator, "kind": kind, "deadline": 10**10}
    with engine.begin() as conn:
        confirmations.insert_endorsement(conn, {**row, "r": SIG, "vs": SIG}, sorted(ids))
        pending.refresh(conn, ids, RULES)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


def test_the_window_plans_what_everything_plans(engine: Engine) -> None:
    # residents 0..7, one claim each, then resident 0's second claim (newest, whole chain)
    rows = [_claim(100 + i, i, 0) for i in range(8)] + [_claim(99, 0, 1)]
    with engine.begin() as conn:
        records.insert_claims(conn, rows)
    ids = [r["record_id"] for r in rows]
    for n, pair in enumerate((ids[0:2], ids[2:4], ids[4:6], ids[6:8] + ids[8:])):
        _confirm(engine, BOSS, SUPERIOR, pair, 2 * n)
        _confirm(engine, SAGE, EXPERT, pair, 2 * n + 1)
    with engine.connect() as conn:
        everything = pending.plan_input(conn)
        window = pending.plan_input(conn, 2)
        wide = pending.plan_input(conn, 100)
    assert everything[2] is False and window[2] is True and wide[2] is False
    assert wide[:2] == everything[:2]
    # the window: residents 0 and 1, with resident 0's nonce 1 (the newest claim) too
    assert sorted(c.record_id for c in window[0]) == sorted([ids[0], ids[1], ids[8]])
    assert [e.id for e in window[1]] == [1, 2]  # the pair's two endorsements, not the others'
    for size in (2, 4):
        full = plan_batch(*everything[:2], RULES, size)
        assert plan_batch(*window[:2], RULES, size) == full
        assert [c.record_id for c in full.claims] == sorted(ids[0:2])


def test_a_waiting_claim_holds_back_the_window_as_it_holds_back_everything(
    engine: Engine,
) -> None:
    rows = [_claim(1, 0, 0), _claim(2, 1, 0), _claim(3, 1, 1)]
    with engine.begin() as conn:
        records.insert_claims(conn, rows)
    _confirm(engine, BOSS, SUPERIOR, [rows[0]["record_id"], rows[2]["record_id"]], 1)
    _confirm(engine, SAGE, EXPERT, [rows[0]["record_id"], rows[2]["record_id"]], 2)
    with engine.connect() as conn:
        everything = pending.plan_input(conn)
        window = pending.plan_input(conn, 1)
    # resident 1's nonce 1 is pending but its nonce 0 waits: neither plans it
    assert [c.record_id for c in everything[0]] == [rows[0]["record_id"]]
    assert window[:2] == everything[:2] and window[2] is True
    assert everything[1] == []  # the endorsement names a claim that is held back
    assert plan_batch(*window[:2], RULES, 10).claims == ()
