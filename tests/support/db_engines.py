"""The gateway's database, on each engine it supports: a pytest plugin.

``database_url`` is the URL of a fresh database for one test:

- ``sqlite``: a file under the test's ``tmp_path`` (not yet created);
- ``postgresql``: a database of its own on the server at :data:`SERVER_URL` (127.0.0.1:5432,
  as on every development and CI machine), created for the test and dropped after it. A database
  rather than a schema, so that nothing a test holds server-wide (advisory locks, sessions) meets
  another test's. It is a copy of a template already at the newest schema (``create_schema`` then
  finds nothing to do), or empty if the test is marked ``empty_database``. Skipped, saying why,
  when the server or its driver is missing, unless ``CREDIT_TEST_POSTGRESQL=required`` (set by
  ``.ci/run``): then the test fails instead.

Tests that exercise the database run on both: mark them (or their module, ``pytestmark``) with
``@pytest.mark.engines``, and every test of theirs that uses ``database_url`` (directly or through
a fixture such as ``gw_settings``) is parametrised ``[sqlite]`` / ``[postgresql]``; a test of such a
module that is about one engine narrows it (``@pytest.mark.engines("sqlite")``). Unmarked tests
get the SQLite file alone and keep their ids.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ENGINES = ("sqlite", "postgresql")
SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
REQUIRED_ENV = "CREDIT_TEST_POSTGRESQL"

_unreachable: list[str] = []  # the reason, once a connection has failed (not retried)
_templates: list[str] = []  # this process's template database at head, once made


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "empty_database: database_url is an empty database on every engine (for migration tests)",
    )
    config.addinivalue_line(
        "markers",
        "engines(*names): run the test on these database engines (default: sqlite and "
        "postgresql) through the database_url fixture",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("engines")
    if marker is not None and "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", marker.args or ENGINES, indirect=True)


def _required() -> bool:
    return os.environ.get(REQUIRED_ENV, "") == "required"


def admin_connect(dsn: str = ADMIN_DSN) -> Any:
    """An autocommit connection to the server's maintenance database, or a skip (a failure when
    PostgreSQL is required) saying why there is none. A server found missing once is not asked
    again in this session."""
    reason = _unreachable[0] if _unreachable else None
    if reason is None:
        try:
            import psycopg

            return psycopg.connect(dsn, autocommit=True)
        except ImportError:
            reason = "the PostgreSQL driver psycopg is not installed ('psycopg[binary]')"
        except Exception as exc:  # refused, timed out, no such role
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            reason = f"no PostgreSQL server at 127.0.0.1:5432 ({type(exc).__name__}: {detail})"
        _unreachable.append(reason)
    if _required():
        pytest.fail(f"{REQUIRED_ENV}=required but {reason}", pytrace=False)
    pytest.skip(reason)


def _template(admin: Any) -> str:
    """This process's template database, at the newest schema (made on first use, dropped when
    the session ends): copying it is faster than running the migrations in each test."""
    if not _templates:
        from credit.store.db import make_engine
        from credit.store.schema import create_schema

        name = f"credit_template_{secrets.token_hex(6)}"
        admin.execute(f'CREATE DATABASE "{name}"')
        _templates.append(name)
        engine = make_engine(f"{SERVER_URL}/{name}")
        try:
            create_schema(engine)
        finally:
            engine.dispose()  # a template must have no connections when it is copied
    return _templates[0]


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _templates:
        admin = admin_connect()
        admin.execute(f'DROP DATABASE IF EXISTS "{_templates.pop()}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh database for this test (see the module's docstring)."""
    engine = getattr(request, "param", "sqlite")
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'gateway.sqlite'}"
        return
    admin = admin_connect()
    name = f"credit_test_{secrets.token_hex(6)}"
    if request.node.get_closest_marker("empty_database"):
        admin.execute(f'CREATE DATABASE "{name}"')
    else:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_template(admin)}"')
    try:
        yield f"{SERVER_URL}/{name}"
    finally:
        # FORCE: a connection a test leaked (or a killed worker's) must not keep the database
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def database_engine_name(database_url: str) -> str:
    """``sqlite`` or ``postgresql``: the engine behind ``database_url``."""
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"
