"""Bringing a database to the newest schema: Alembic's revisions (:mod:`credit.store.migrate`),
the repairs a database made before versioned migrations needs first (:func:`_adopt`), and the
rows every start seeds or recounts."""

from __future__ import annotations

from sqlalchemy import MetaData, func, insert, inspect, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.schema import CreateTable

from credit.errors import StoreError
from credit.store.db import writer


def create_schema(engine: Engine) -> None:
    """Bring the database to the newest schema and seed its rows (idempotent; run at every
    start). The schema is versioned by Alembic (:mod:`credit.store.migrate`): an empty database
    gets every revision, one made by an earlier version the revisions it lacks, and one made
    before versioned migrations is first brought to the baseline (:func:`_adopt`)."""
    from credit.store import migrate

    migrate.upgrade(engine, _adopt)
    _count_evidence(engine)


def _adopt(engine: Engine) -> None:
    """A database made before versioned migrations (release d9148b8 or earlier): the changes
    those releases made at start (:func:`_drop_unique_endorsement_digest`,
    :func:`_nonces_held_by_voided`, :func:`_claims_name_their_reporter`), after which its tables
    are the baseline revision's; that revision then creates the tables and indexes it lacks."""
    _drop_unique_endorsement_digest(engine)
    _nonces_held_by_voided(engine)
    _claims_name_their_reporter(engine)


def _count_evidence(engine: Engine) -> None:
    """Set :data:`credit.store.evidence_tables.evidence_usage` from the evidence rows (its one
    row is created on first use; recounting at every start also repairs any drift)."""
    from credit.store.evidence_tables import evidence, evidence_usage

    usage = update(evidence_usage).where(evidence_usage.c.id == 1)
    live = select(func.count(), func.coalesce(func.sum(evidence.c.size), 0)).where(
        evidence.c.erased_at.is_(None)
    )
    with writer(engine), engine.begin() as conn:
        # a write first, as an upload does: no upload of another process moves the row meanwhile
        found = conn.execute(usage.values(live_items=evidence_usage.c.live_items)).rowcount
        items, size = conn.execute(live).one()
        counted = {"live_items": int(items), "live_bytes": int(size)}
        if found:
            conn.execute(usage.values(**counted))
        else:
            conn.execute(insert(evidence_usage).values(id=1, **counted))


OBSOLETE_NONCE_INDEXES = ("ux_relay_claims_live_nonce", "ix_relay_claims_resident")


def _nonces_held_by_voided(engine: Engine) -> None:
    """Databases made before 2026-11-30 kept one live claim per resident nonce with a unique
    index on ``(resident, nonce)`` partial on ``status != 'rejected'``, beside a plain index on
    the same columns. Add ``relay_claims.voided`` (0, or the claim's seq if it was rejected) and
    drop both indexes, in one transaction; :func:`create_schema` then creates the unique index on
    ``(resident, nonce, voided)`` that replaces them."""
    from credit.store.relay_tables import relay_claims

    name = relay_claims.name
    if not _lacks_column(engine, name, "voided"):
        return
    with engine.begin() as conn:
        conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN voided BIGINT NOT NULL DEFAULT 0")
        conn.execute(
            update(relay_claims)
            .where(relay_claims.c.status == "rejected")
            .values(voided=relay_claims.c.seq)
        )
        for index in OBSOLETE_NONCE_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")


def _claims_name_their_reporter(engine: Engine) -> None:
    """Databases made before 2026-12-07 relayed claims only: add ``relay_claims.reporter``
    (NULL, a claim) so that they relay violation reports too."""
    from credit.store.relay_tables import relay_claims

    if _lacks_column(engine, relay_claims.name, "reporter"):
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER TABLE {relay_claims.name} ADD COLUMN reporter VARCHAR(42)")


def _lacks_column(engine: Engine, table: str, column: str) -> bool:
    """Whether the database has ``table`` without ``column`` (made before the column was)."""
    inspector = inspect(engine)
    if table not in inspector.get_table_names():
        return False
    return column not in {c["name"] for c in inspector.get_columns(table)}


def _drop_unique_endorsement_digest(engine: Engine) -> None:
    """Databases made before 2026-11-29 declared ``relay_endorsements.digest`` unique, which
    refused a second evaluator signing the same Confirmation message (same records, kind and
    deadline). Drop that constraint, keeping every row (SQLite cannot drop a constraint: the
    table is rebuilt as its documentation prescribes, with foreign keys off)."""
    from credit.store.relay_tables import relay_endorsements, relay_outbox

    name = relay_endorsements.name
    inspector = inspect(engine)
    if name not in inspector.get_table_names():
        return
    obsolete = [
        u for u in inspector.get_unique_constraints(name) if u["column_names"] == ["digest"]
    ]
    if not obsolete:
        return
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            for u in obsolete:
                conn.execute(text(f'ALTER TABLE {name} DROP CONSTRAINT "{u["name"]}"'))
        return
    scratch = MetaData()  # never created: it only lets the copy's foreign key resolve
    relay_outbox.to_metadata(scratch)
    rebuilt = relay_endorsements.to_metadata(scratch, name=f"{name}_rebuilt")
    columns = ", ".join(c.name for c in relay_endorsements.columns)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction
        conn.commit()
        try:
            _rebuild(conn, name, rebuilt.name, CreateTable(rebuilt), columns)
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def _rebuild(
    conn: Connection, name: str, temporary: str, create: CreateTable, columns: str
) -> None:
    with conn.begin():
        conn.execute(create)  # the table only: its indexes are created after the rename
        conn.exec_driver_sql(f"INSERT INTO {temporary} ({columns}) SELECT {columns} FROM {name}")
        conn.exec_driver_sql(f"DROP TABLE {name}")
        conn.exec_driver_sql(f"ALTER TABLE {temporary} RENAME TO {name}")
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise StoreError(f"rebuilding {name} broke foreign keys: {broken[:3]}")
