"""The engine make_engine builds for PostgreSQL: the URL forms operators write, and a lock held
past the busy timeout reported as StoreBusy (the API's 503 database_busy), not a hang."""

from __future__ import annotations

import pytest
from psycopg import errors
from sqlalchemy import update

from credit.errors import StoreBusy
from credit.store.db import make_engine, postgresql_url, store_error
from credit.store.evidence_tables import evidence_usage
from credit.store.schema import create_schema

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.mark.parametrize(
    ("given", "used"),
    [
        pytest.param("postgresql://u@h/db", "postgresql+psycopg://u@h/db", id="postgresql"),
        pytest.param("postgres://u@h/db", "postgresql+psycopg://u@h/db", id="postgres"),
        pytest.param("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db", id="explicit"),
    ],
)
def test_urls_name_the_psycopg_driver(given: str, used: str, database_url: str) -> None:
    assert postgresql_url(given) == used
    plain = make_engine(database_url.replace("postgresql+psycopg://", "postgresql://"))
    try:
        assert plain.dialect.driver == "psycopg"
        with plain.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar_one() == 1
    finally:
        plain.dispose()


def test_a_lock_held_past_the_busy_timeout_is_store_busy(database_url: str) -> None:
    engine = make_engine(database_url, busy_timeout=0.2)
    try:
        create_schema(engine)
        usage = evidence_usage.c
        bump = update(evidence_usage).where(usage.id == 1).values(live_items=usage.live_items + 1)
        with engine.connect() as holder:
            holder.execute(bump)  # the row stays locked until this transaction ends
            with pytest.raises(StoreBusy, match="busy"), engine.begin() as conn:
                conn.execute(bump)
            holder.rollback()
        with engine.begin() as conn:  # released: the next write goes through
            assert conn.execute(bump).rowcount == 1
    finally:
        engine.dispose()


def test_a_full_lock_table_is_store_busy(database_url: str) -> None:
    """SQLSTATE 53200 (out of shared memory: the server's lock table is full, as too many
    advisory locks at once would make it) is StoreBusy, a 503 to retry. Not made for real:
    filling the shared server's lock table would fail the tests running beside this one."""
    assert isinstance(store_error(errors.OutOfMemory("out of shared memory")), StoreBusy)
