"""The database fixture's own behaviour when PostgreSQL is missing: a skip saying why, or, when
CI requires the server (CREDIT_TEST_POSTGRESQL=required, set by .ci/run), a failure."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from credit.store import migrate
from credit.store.db import make_engine
from credit.store.schema import create_schema
from tests.support import db_engines

NOWHERE = "host=127.0.0.1 port=1 user=postgres dbname=postgres connect_timeout=3"


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """No verdict on the server remembered from earlier tests (restored afterwards)."""
    monkeypatch.setattr(db_engines, "_unreachable", [])


def test_a_missing_server_skips_saying_why(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(db_engines.REQUIRED_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no PostgreSQL server at 127\.0\.0\.1:5432"):
        db_engines.admin_connect(NOWHERE)


def test_a_missing_server_fails_when_required(fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(db_engines.REQUIRED_ENV, "required")
    with pytest.raises(pytest.fail.Exception, match="CREDIT_TEST_POSTGRESQL=required but no"):
        db_engines.admin_connect(NOWHERE)


@pytest.mark.engines
@pytest.mark.empty_database
def test_each_engine_gives_a_fresh_empty_database(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


@pytest.mark.engines
def test_each_engine_gives_a_database_create_schema_brings_to_head(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        create_schema(engine)
        assert migrate.current(engine) == migrate.head()
    finally:
        engine.dispose()
