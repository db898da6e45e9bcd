"""The relay's locks on PostgreSQL (:mod:`credit.relay.transaction`), one connection against
another in one thread, so each wait is certain: requests run side by side except where they
decide from the same thing, and a transaction that moves claims between stages excludes them all.
A wait past the busy timeout is StoreBusy (the API's 503 database_busy), never a hang."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text

from credit.errors import StoreBusy
from credit.relay.transaction import RESIDENT_LOCKS, alongside, write
from credit.store.db import make_engine
from credit.store.schema import create_schema

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

ANA, BO = "0x" + "a1" * 20, "0x" + "b2" * 20
MANY = ["0x%040x" % (i + 1) for i in range(RESIDENT_LOCKS + 1)]  # a kiosk's upload


@pytest.fixture
def core(database_url: str) -> Iterator[Any]:
    """What the relay's transactions use of a relay: its engine (busy timeout 0.2 s) and lock."""
    engine = make_engine(database_url, busy_timeout=0.2)
    create_schema(engine)
    try:
        yield SimpleNamespace(engine=engine, lock=threading.RLock())
    finally:
        engine.dispose()


def busy(core: Any, **what: Any) -> bool:
    """Whether a request's transaction on ``what`` has to wait (and so times out)."""
    try:
        with alongside(core, **what) as conn:
            conn.execute(text("SELECT 1"))
    except StoreBusy:
        return True
    return False


def test_requests_for_other_residents_go_side_by_side(core: Any) -> None:
    with alongside(core, residents=[ANA]):
        assert not busy(core, residents=[BO])
        assert not busy(core, claims=["0x" + "00" * 32])  # a confirmation
        assert busy(core, residents=[ANA, BO])  # Ana's nonces are being taken
        assert busy(core, residents=MANY)  # a kiosk's upload waits for every small request
    assert not busy(core, residents=[ANA])


def test_a_kiosk_upload_excludes_other_uploads_but_not_confirmations(core: Any) -> None:
    with alongside(core, residents=MANY):
        assert busy(core, residents=[BO])
        assert busy(core, residents=MANY)
        assert not busy(core, claims=["0x" + "00" * 32])


def test_a_stage_change_excludes_every_request(core: Any) -> None:
    with write(core):  # a batch being stored, say
        assert busy(core, residents=[ANA])
        assert busy(core, claims=["0x" + "00" * 32])
    assert not busy(core, residents=[ANA])
