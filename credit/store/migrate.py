"""Versioned migrations of the gateway's database: Alembic, run in-process at every start.

The revisions live in the package (``credit/store/migrations/versions``), so an installed gateway
carries them. :func:`upgrade` brings any database to the newest revision (``alembic upgrade
head``): an empty one from nothing, one made by this code from the revision it records in its
``alembic_version`` table, and one made by a release before versioned migrations (tables, no
``alembic_version``) by ``adopt`` (the changes those releases made at start) and then the
baseline revision, which creates only what such a database lacks.

Several processes may start at once over one PostgreSQL database (N API processes, a relay
worker, an indexer): they migrate one at a time, behind a session advisory lock
(:data:`MIGRATION_LOCK`), and the later ones find the database at head.

An operator can run the same revisions by hand: ``alembic -c credit/store/migrations/alembic.ini
-x url=<database URL> upgrade head`` (or ``history``, ``current``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
# pg_advisory_lock key of schema migrations ("credit" in ASCII), one per database
MIGRATION_LOCK = 0x637265646974


def config() -> Config:
    """Alembic's configuration for the revisions shipped in the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head() -> str:
    """The newest revision."""
    found = ScriptDirectory.from_config(config()).get_current_head()
    assert found is not None, "no revision in credit/store/migrations/versions"
    return found


def current(engine: Engine) -> str | None:
    """The revision the database records; None if it has none (empty, or made before them)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _one_at_a_time(engine: Engine) -> Iterator[None]:
    """On PostgreSQL, hold the database's migration lock; SQLite lets one writer in anyway."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as guard:
        guard.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
        try:
            yield
        finally:
            guard.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")


def upgrade(engine: Engine, adopt: Callable[[Engine], None]) -> None:
    """Bring the database to :func:`head`. ``adopt`` brings the tables of a database made before
    versioned migrations to the baseline's shape; it runs only on such a database."""
    with _one_at_a_time(engine):
        tables = set(inspect(engine).get_table_names())
        if tables and VERSION_TABLE not in tables:
            adopt(engine)
        with engine.begin() as conn:  # on PostgreSQL, the revisions commit together or not at all
            cfg = config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
