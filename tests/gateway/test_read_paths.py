"""The hot read paths: served from the index with no chain call, the shared notices evaluation
equal to each resident's own, and the claim checks' one-round-trip chain reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from credit.artifacts import Artifact
from credit.chain import relay_reads, rpc_web3
from credit.chain.claim_reads import ClaimContext, cache_chain_id, claim_context
from credit.chain.roles import read_roles
from credit.gateway.app import create_app
from credit.gateway.notices_service import NoticeService
from credit.gateway.services import Services
from credit.indexer import Indexer
from credit.ruleset import RuleSet
from tests.support.anvil import anvil
from tests.support.auth_helpers import sign_in
from tests.support.ledger_flows import ZERO32, credit, relay_violation
from tests.support.world import PEER, World, build_world

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


@pytest.fixture
def noticed(services: Services, gateway_world: World) -> Iterator[Services]:
    """Notices of every kind due: a claim awaiting confirmations (peers and officials are asked),
    a violation to appeal; the index synced."""
    w = gateway_world
    r = w.residents
    for resident in r[:3]:
        credit(w, resident)
    relay_violation(w, r[0])
    fn = w.ledger.functions.submitClaim(1, 1, w.now() - 60, ZERO32)
    (event,) = w.events(r[4].send(fn), "ClaimSubmitted")
    r[5].send(w.ledger.functions.confirm(bytes(event["args"]["recordId"]), PEER))
    w.advance(12 * 86400)
    services.indexer = Indexer(services.system, services.engine)
    services.indexer.sync()
    yield services


@pytest.mark.parametrize(
    ("who", "rules"),
    [
        pytest.param(lambda w: w.residents[0], {"appeal-deadline"}, id="violator"),
        pytest.param(lambda w: w.residents[1], {"confirmations-requested"}, id="peer"),
        pytest.param(lambda w: w.residents[4], {"claim-waiting"}, id="claimant"),
        pytest.param(lambda w: w.superior, {"confirmations-requested"}, id="superior"),
        pytest.param(lambda w: w.expert, {"confirmations-requested"}, id="expert"),
        pytest.param(lambda w: w.outsider, set(), id="outsider"),
    ],
)
def test_the_shared_evaluation_gives_each_reader_their_own_notices(
    noticed: Services, gateway_world: World, who: Any, rules: set[str]
) -> None:
    actor = who(gateway_world)
    service = NoticeService(noticed)
    alone = service.notices_for(actor.address, read_roles(noticed.system, actor.address))
    shared = service.notices_for(actor.address)
    assert shared == alone
    assert rules <= {n["rule_id"] for n in shared}
    assert service.cached_notices_for(actor.address) == shared


def test_resident_reads_make_no_chain_call_once_warm(
    noticed: Services, gateway_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = gateway_world
    calls: list[str] = []
    provider: Any = w.w3.provider
    original = provider.make_request

    def counting(method: Any, params: Any) -> Any:
        calls.append(str(method))
        return original(method, params)

    noticed.notices = NoticeService(noticed)
    with TestClient(create_app(noticed, start_background=False)) as client:
        noticed.indexer.pin_position()  # as the running indexer does after each sync
        for resident in w.residents[:3]:
            headers = sign_in(client, resident.key)
            client.get(f"/v1/residents/{resident.address}/notices", headers=headers)  # warm-up
            monkeypatch.setattr(provider, "make_request", counting)
            for path in ("", "/notices"):
                r = client.get(f"/v1/residents/{resident.address}{path}", headers=headers)
                assert r.status_code == 200, r.text
            monkeypatch.setattr(provider, "make_request", original)
    assert calls == []


def test_claim_checks_read_the_chain_in_one_round_trip(
    artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    with anvil() as url:
        w = build_world(rpc_web3(url), artifacts, ruleset, residents=2)
        cache_chain_id(w.w3)
        credit(w, w.residents[0])  # nonce 1 now
        for actor in (w.residents[0], w.residents[1], w.outsider):
            expected = ClaimContext(
                relay_reads.chain_time(w.system),
                relay_reads.is_resident(w.system, actor.address),
                relay_reads.claim_nonce(w.system, actor.address),
            )
            assert claim_context(w.system, actor.address) == expected
        assert claim_context(w.system, w.residents[0].address).claim_nonce == 1
