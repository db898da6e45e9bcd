"""Same chain + same rule set => byte-identical notices, whoever computes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from credit.gateway.notices_service import NoticeService
from credit.gateway.services import Services
from credit.indexer import Indexer
from credit.store.db import make_engine, metadata
from credit.store.schema import create_schema
from tests.support.world import PUBLIC, SUPERIOR, World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


def test_two_gateways_over_one_chain_export_identical_notices(
    services: Services, gateway_world: World, tmp_path: Path, database_url: str
) -> None:
    w = gateway_world
    for i in range(3):
        w.credit_one(w.residents[i], 1, 2)
    for _ in range(2):  # repeated violations of resident 0: a warning
        signed, rid = w.report(w.expert, w.residents[0])
        ends = w.endorse([rid], [(w.superior, SUPERIOR), (w.panel, PUBLIC)])
        w.operator.send(w.ledger.functions.relayReports([signed], ends), gas=3_000_000)
    exports = []
    for name in ("a", "b"):
        engine = make_engine(database_url)  # the second replays into the first's tables
        if name == "b":
            with engine.begin() as conn:  # from scratch: the first index's rows gone
                for table in reversed(metadata.sorted_tables):
                    conn.execute(table.delete())
        create_schema(engine)
        other = Services(
            services.settings, engine, services.system, services.ruleset, services.relayer
        )
        other.indexer = Indexer(services.system, engine, page_size=3 if name == "b" else 2000)
        other.indexer.sync()
        exports.append(NoticeService(other).export())
    assert exports[0] == exports[1]
    assert b'"kind":"warning"' in exports[0]
