"""create_schema brings a database made by an earlier version up to date without losing rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from credit.relay import records
from credit.store.db import OBSOLETE_NONCE_INDEXES, create_schema, make_engine
from credit.store.relay_tables import relay_claims, relay_endorsements

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


def test_an_older_database_drops_the_unique_digest_and_keeps_its_rows(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    create_schema(engine)
    with engine.connect() as conn:  # recreate the table as versions before 2026-11-29 made it
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'relay_endorsements'"
        ).scalar_one()
        conn.exec_driver_sql("DROP TABLE relay_endorsements")
        conn.exec_driver_sql(
            sql.replace("PRIMARY KEY (id), ", "PRIMARY KEY (id), UNIQUE (digest), ")
        )
        conn.execute(insert(relay_endorsements).values(**ROW))
        conn.commit()
    assert ["digest"] in _unique_columns(engine)

    create_schema(engine)
    create_schema(engine)  # idempotent

    assert ["digest"] not in _unique_columns(engine)
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("relay_endorsements")}
    assert indexes["ux_relay_endorsements_evaluator_digest"]["unique"]
    with engine.begin() as conn:
        assert conn.execute(select(relay_endorsements.c.evaluator)).scalars().all() == [
            ROW["evaluator"]
        ]
        conn.execute(insert(relay_endorsements).values(**{**ROW, "evaluator": "0x" + "22" * 20}))
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


def test_an_older_database_holds_live_nonces_by_voided_and_keeps_its_rows(tmp_path: Path) -> None:
    """The partial unique index on status (and the plain index beside it) give way to a unique
    index on (resident, nonce, voided): still one live claim per nonce, a rejected one frees it."""
    a, b = "0x" + "aa" * 20, "0x" + "bb" * 20
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    create_schema(engine)
    with engine.connect() as conn:  # recreate relay_claims as versions before 2026-11-30 made it
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'relay_claims'"
        ).scalar_one()
        conn.exec_driver_sql("DROP TABLE relay_claims")
        old = sql.replace("voided BIGINT DEFAULT 0 NOT NULL, ", "")
        assert "voided" not in old
        conn.exec_driver_sql(old)
        conn.exec_driver_sql(
            "CREATE INDEX ix_relay_claims_resident ON relay_claims (resident, nonce)"
        )
        conn.exec_driver_sql(
            "CREATE UNIQUE INDEX ux_relay_claims_live_nonce ON relay_claims (resident, nonce) "
            "WHERE status != 'rejected'"
        )
        columns = ", ".join(_claim(a, 0, 1, "rejected"))
        marks = ", ".join(f":{k}" for k in _claim(a, 0, 1, "rejected"))
        for row in (
            _claim(a, 0, 1, "rejected"),
            _claim(a, 0, 2, "waiting"),
            _claim(b, 3, 3, "credited"),
        ):
            conn.execute(text(f"INSERT INTO relay_claims ({columns}) VALUES ({marks})"), row)
        conn.commit()

    create_schema(engine)
    create_schema(engine)  # idempotent

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


def test_an_older_database_gains_the_reporter_column_and_keeps_its_claims(tmp_path: Path) -> None:
    """Databases made before reports were relayed have no ``relay_claims.reporter``: it is added
    (NULL: every row there is a claim), and the claims' nonces count as before."""
    a = "0x" + "aa" * 20
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    create_schema(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'relay_claims'"
        ).scalar_one()
        conn.exec_driver_sql("DROP TABLE relay_claims")
        old = sql.replace(", \n\treporter VARCHAR(42)", "").replace(", reporter VARCHAR(42)", "")
        assert "reporter" not in old
        conn.exec_driver_sql(old)
        row = _claim(a, 0, 1, "waiting")
        columns = ", ".join(row)
        marks = ", ".join(f":{k}" for k in row)
        conn.execute(text(f"INSERT INTO relay_claims ({columns}) VALUES ({marks})"), row)
        conn.commit()

    create_schema(engine)
    create_schema(engine)  # idempotent

    assert "reporter" in {c["name"] for c in inspect(engine).get_columns("relay_claims")}
    with engine.begin() as conn:
        assert conn.execute(select(relay_claims.c.reporter)).scalars().all() == [None]
        assert records.live_claims(conn, [a])[a] == records.LiveClaims(next_nonce=1, waiting=1)
