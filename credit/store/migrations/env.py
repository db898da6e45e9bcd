"""Alembic's environment for the gateway's database (run by
:func:`credit.store.schema.create_schema`, which passes its connection in
``config.attributes["connection"]``; or by the ``alembic`` command with ``-x url=<database URL>``).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import credit.store.tables  # noqa: F401  (registers the tables on metadata)
from credit.store.db import make_engine, metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters a table by copying it: revisions' op.batch_alter_table does that for them
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("alembic: pass the database URL, e.g. -x url=postgresql://host/credit")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()
