"""create_schema brings a database made by an earlier version up to date without losing rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from credit.store.db import create_schema, make_engine
from credit.store.relay_tables import relay_endorsements

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
