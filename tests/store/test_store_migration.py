"""create_schema brings a database to the newest schema (Alembic, credit/store/migrations) from
nothing, from the previous release's schema with rows in it, and from the older shapes that
release itself still migrated at start, without losing rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

import credit.store.tables
from credit.relay import records
from credit.store import migrate
from credit.store.db import make_engine, metadata
from credit.store.evidence_tables import evidence_usage
from credit.store.relay_tables import relay_claims, relay_endorsements, relay_outbox
from credit.store.schema import OBSOLETE_NONCE_INDEXES, create_schema

BASELINE = "0001"  # the schema release d9148b8 made, before versioned migrations

# SQLite and PostgreSQL, each test from an empty database (tests/support/db_engines.py)
pytestmark = [pytest.mark.engines, pytest.mark.empty_database]

DATA = Path(__file__).with_name("data")

ROW = {
    "digest": "0x" + "ab" * 32,
    "evaluator": "0x" + "11" * 20,
    "kind": 1,
    "deadline": 2**40,
    "r": "0x" + "01" * 32,
    "vs": "0x" + "02" * 32,
    "status": "active",
    "created_at": 1.0,
    "updated_at": 1.0,
}


def _unique_columns(engine: object) -> list[list[str]]:
    return [u["column_names"] for u in inspect(engine).get_unique_constraints("relay_endorsements")]


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def previous_release(engine: Engine) -> None:
    """The schema release d9148b8 made (before versioned migrations: no alembic_version), from
    its DDL frozen in tests/store/data."""
    ddl = (DATA / f"schema_d9148b8_{engine.dialect.name}.sql").read_text()
    sql = "\n".join(line for line in ddl.splitlines() if not line.startswith("--"))
    with engine.begin() as conn:
        for statement in filter(str.strip, sql.split(";")):
            conn.exec_driver_sql(statement)


def at_head(engine: Engine) -> None:
    """The database records the newest revision, and its tables are the code's, column by
    column and index by index (Alembic's autogenerate finds nothing to change)."""
    assert migrate.current(engine) == migrate.head()
    assert credit.store.tables  # registered on metadata
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_an_empty_database_goes_to_head(engine: Engine) -> None:
    assert migrate.current(engine) is None
    create_schema(engine)
    at_head(engine)
    create_schema(engine)  # idempotent: at head, nothing to do
    at_head(engine)
    with engine.connect() as conn:  # seeded at start
        assert conn.execute(select(evidence_usage.c.live_items)).scalar_one() == 0


def test_the_previous_releases_database_goes_to_head_with_its_rows(engine: Engine) -> None:
    previous_release(engine)
    with engine.connect() as conn:
        assert migrate.VERSION_TABLE not in inspect(conn).get_table_names()
    outbox = {
        "signer": "0x" + "33" * 20,
        "nonce": 7,
        "raw_tx": b"\x02raw",
        "tx_hash": "0x" + "cd" * 32,
        "status": "sent",
        "attempts": 1,
        "created_at": 1.0,
        "updated_at": 1.0,
    }
    with engine.begin() as conn:
        outbox_id = conn.execute(insert(relay_outbox).values(**outbox)).inserted_primary_key[0]
        claim = {**_claim("0x" + "aa" * 20, 0, 1, "sent"), "outbox_id": outbox_id}
        conn.execute(insert(relay_claims).values(**claim))
        conn.execute(insert(relay_endorsements).values(**ROW, outbox_id=outbox_id))

    create_schema(engine)

    at_head(engine)
    with engine.connect() as conn:
        assert conn.execute(select(relay_outbox.c.raw_tx, relay_outbox.c.nonce)).one() == (
            b"\x02raw",
            7,
        )
        kept = conn.execute(select(relay_claims.c.record_id, relay_claims.c.outbox_id)).one()
        assert kept == (claim["record_id"], outbox_id)
        assert conn.execute(select(relay_endorsements.c.evaluator)).scalar_one() == ROW["evaluator"]
        assert records.live_claims(conn, [claim["resident"]])[claim["resident"]].next_nonce == 1


def _unversioned(engine: Engine) -> None:
    """As if a release before versioned migrations had made the database: the baseline's tables
    (what later revisions added is undone first), and no version table."""
    with engine.begin() as conn:
        cfg = migrate.config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, BASELINE)
        conn.exec_driver_sql(f"DROP TABLE {migrate.VERSION_TABLE}")


def test_an_older_database_drops_the_unique_digest_and_keeps_its_rows(engine: Engine) -> None:
    create_schema(engine)
    _unversioned(engine)
    if engine.dialect.name == "sqlite":  # no ADD CONSTRAINT: the table as versions before made it
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'relay_endorsements'"
            ).scalar_one()
            conn.exec_driver_sql("DROP TABLE relay_endorsements")
            conn.exec_driver_sql(
                sql.replace("PRIMARY KEY (id), ", "PRIMARY KEY (id), UNIQUE (digest), ")
            )
            conn.commit()
    else:  # versions before 2026-11-29 declared the column unique
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "ALTER TABLE relay_endorsements "
                "ADD CONSTRAINT relay_endorsements_digest_key UNIQUE (digest)"
            )
    with engine.begin() as conn:
        conn.execute(insert(relay_endorsements).values(**ROW))
    assert ["digest"] in _unique_columns(engine)

    create_schema(engine)
    create_schema(engine)  # idempotent

    at_head(engine)
    assert ["digest"] not in _unique_columns(engine)
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("relay_endorsements")}
    assert indexes["ux_relay_endorsements_evaluator_digest"]["unique"]
    with engine.begin() as conn:
        assert conn.execute(select(relay_endorsements.c.evaluator)).scalars().all() == [
            ROW["evaluator"]
        ]
        conn.execute(insert(relay_endorsements).values(**{**ROW, "evaluator": "0x" + "22" * 20}))
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    with pytest.raises(IntegrityError), engine.begin() as conn:  # same evaluator, same message
        conn.execute(insert(relay_endorsements).values(**ROW))


def _claim(resident: str, nonce: int, seq: int, status: str) -> dict[str, object]:
    return {
        "record_id": "0x" + f"{seq:064x}",
        "seq": seq,
        "resident": resident,
        "category": 1,
        "units": 1,
        "occurred_at": 1,
        "evidence": "0x" + "00" * 32,
        "nonce": nonce,
        "deadline": 2**40,
        "r": "0x" + "01" * 32,
        "vs": "0x" + "02" * 32,
        "status": status,
        "created_at": 1.0,
        "updated_at": 1.0,
    }


def _insert_claims(engine: Engine, rows: list[dict[str, object]]) -> None:
    """Rows through SQL naming their columns, as a table without later columns takes them."""
    columns = ", ".join(rows[0])
    marks = ", ".join(f":{k}" for k in rows[0])
    with engine.begin() as conn:
        for row in rows:
            conn.execute(text(f"INSERT INTO relay_claims ({columns}) VALUES ({marks})"), row)


def test_an_older_database_holds_live_nonces_by_voided_and_keeps_its_rows(engine: Engine) -> None:
    """The partial unique index on status (and the plain index beside it) give way to a unique
    index on (resident, nonce, voided): still one live claim per nonce, a rejected one frees it."""
    a, b = "0x" + "aa" * 20, "0x" + "bb" * 20
    create_schema(engine)
    _unversioned(engine)
    with engine.begin() as conn:  # relay_claims as versions before 2026-11-30 made it
        conn.exec_driver_sql("DROP INDEX ux_relay_claims_nonce")
        conn.exec_driver_sql("ALTER TABLE relay_claims DROP COLUMN voided")
        conn.exec_driver_sql(
            "CREATE INDEX ix_relay_claims_resident ON relay_claims (resident, nonce)"
        )
        conn.exec_driver_sql(
            "CREATE UNIQUE INDEX ux_relay_claims_live_nonce ON relay_claims (resident, nonce) "
            "WHERE status != 'rejected'"
        )
    _insert_claims(
        engine,
        [_claim(a, 0, 1, "rejected"), _claim(a, 0, 2, "waiting"), _claim(b, 3, 3, "credited")],
    )

    create_schema(engine)
    create_schema(engine)  # idempotent

    at_head(engine)
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("relay_claims")}
    assert not set(OBSOLETE_NONCE_INDEXES) & set(indexes)
    assert indexes["ux_relay_claims_nonce"]["unique"]
    assert indexes["ux_relay_claims_nonce"]["column_names"] == ["resident", "nonce", "voided"]
    with engine.begin() as conn:
        voided = dict(conn.execute(select(relay_claims.c.seq, relay_claims.c.voided)).all())
        assert voided == {1: 1, 2: 0, 3: 0}  # the rejected claim's seq; 0 for the others
    with pytest.raises(IntegrityError), engine.begin() as conn:  # a's nonce 0 is held (seq 2)
        conn.execute(insert(relay_claims).values(**_claim(a, 0, 4, "waiting")))
    with engine.begin() as conn:  # rejecting the holder frees the nonce for a new signature
        records.reject(conn, [_claim(a, 0, 2, "waiting")["record_id"]], "{}")
        conn.execute(insert(relay_claims).values(**_claim(a, 0, 4, "waiting")))
        live = select(relay_claims.c.seq).where(relay_claims.c.status != "rejected")
        assert sorted(conn.execute(live).scalars()) == [3, 4]


def test_an_older_database_gains_the_reporter_column_and_keeps_its_claims(engine: Engine) -> None:
    """Databases made before reports were relayed have no ``relay_claims.reporter``: it is added
    (NULL: every row there is a claim), and the claims' nonces count as before."""
    a = "0x" + "aa" * 20
    create_schema(engine)
    _unversioned(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE relay_claims DROP COLUMN reporter")
    assert "reporter" not in {c["name"] for c in inspect(engine).get_columns("relay_claims")}
    _insert_claims(engine, [_claim(a, 0, 1, "waiting")])

    create_schema(engine)
    create_schema(engine)  # idempotent

    at_head(engine)
    with engine.begin() as conn:
        assert conn.execute(select(relay_claims.c.reporter)).scalars().all() == [None]
        assert records.live_claims(conn, [a])[a] == records.LiveClaims(next_nonce=1, waiting=1)


@pytest.mark.engines("postgresql")  # N API processes and the workers start together on one server
def test_processes_starting_together_migrate_one_at_a_time(database_url: str) -> None:
    engines = [make_engine(database_url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(create_schema, engines))  # raises if two ran the baseline at once
        at_head(engines[0])
    finally:
        for engine in engines:
            engine.dispose()
