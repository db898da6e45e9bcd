"""Evidence on PostgreSQL: erasure leaves no salt in the table's pages; quotas hold under
concurrent uploads. Skipped without a server on 127.0.0.1:5432 (failed instead under .ci/run).

An UPDATE on PostgreSQL writes a new row version and leaves the old one, salt included, in the
page until VACUUM removes it. The test reads the table's pages as the server holds them
(``pageinspect``'s ``get_raw_page``), so it sees what would reach the data files. The server's
write-ahead log and its archive keep the inserted row until they are recycled or expire: that
retention is the operator's to bound.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from credit.gateway.errors import ApiError
from credit.gateway.evidence import EvidenceStore
from credit.store.db import make_engine
from credit.store.schema import create_schema

A, B = "0x" + "aa" * 20, "0x" + "bb" * 20

# PostgreSQL only: a database of its own per test (tests/support/db_engines.py)
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def pg(database_url: str) -> Iterator[Engine]:
    """The gateway's schema in a fresh database on the test server."""
    engine = make_engine(database_url)
    try:
        create_schema(engine)
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def pageinspect(pg: Engine) -> Engine:
    """``pg`` with ``get_raw_page`` (created in the test's schema, unless the database has it)."""
    try:
        with pg.connect() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pageinspect")
            conn.commit()
    except Exception as exc:  # not a superuser, or the contrib package is missing
        pytest.skip(f"pageinspect is not available: {type(exc).__name__}")
    return pg


def pages_holding(engine: Engine, table: str, needle: bytes) -> list[int]:
    """The pages of ``table``, as the server holds them, whose bytes contain ``needle``."""
    with engine.connect() as conn:
        pages = conn.execute(
            text("SELECT pg_relation_size(:t) / current_setting('block_size')::int"), {"t": table}
        ).scalar_one()
        return [
            n
            for n in range(int(pages))
            if conn.execute(
                text("SELECT position(:needle IN get_raw_page(:t, :n))"),
                {"needle": needle, "t": table, "n": n},
            ).scalar_one()
        ]


def test_erasure_leaves_no_salt_in_the_tables_pages(pageinspect: Engine, tmp_path: Path) -> None:
    pg = pageinspect
    store = EvidenceStore(pg, tmp_path / "evidence", 10_000)
    kept = store.put(A, b"kept statement", "text/plain")
    victim = store.put(A, b"erased statement", "text/plain")
    _, _, salt = store.read(victim.id, A, frozenset())
    _, _, kept_salt = store.read(kept.id, A, frozenset())
    assert pages_holding(pg, "evidence", salt)
    store.erase(victim.id, A)
    assert pages_holding(pg, "evidence", salt) == []
    assert pages_holding(pg, "evidence", kept_salt), "the scan must see evidence not erased"


def test_concurrent_uploads_never_pass_the_quota(pg: Engine, tmp_path: Path) -> None:
    store = EvidenceStore(pg, tmp_path / "evidence", 10_000, quota_items=3, budget_bytes=50)

    def put(i: int) -> int:
        try:
            store.put(A, b"statement %d" % i, "text/plain")
        except ApiError as exc:
            return exc.status
        return 201

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(pool.map(put, range(8)))
    assert codes == [201] * 3 + [413] * 5
    assert len(list(store.directory.iterdir())) == 3
    with pytest.raises(ApiError) as full:  # 3 x 11 bytes kept: 20 more pass the budget of 50
        store.put(B, b"x" * 20, "text/plain")
    assert full.value.code == "evidence_budget_exhausted"
    first = next(p.stem for p in store.directory.iterdir())
    store.erase(first, A)
    assert store.put(B, b"x" * 20, "text/plain").size == 20
