"""A batch of one claim is relayed with ``relayClaimPacked``: credited, within its gas limit, and
the auditor reads the chain it leaves as clean."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_utils import function_abi_to_4byte_selector
from fastapi.testclient import TestClient
from hexbytes import HexBytes

from credit.artifacts import Artifact
from credit.chain import rawtx
from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.ruleset import RuleSet
from tests.audit.helpers import audit, described
from tests.support.relay_helpers import (
    claim_body,
    confirm_body,
    credited_events,
    rows,
    wait_credited,
    wire_relay,
)
from tests.support.world import PEER, SUPERIOR, World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


@pytest.fixture
def api(services: Services) -> Iterator[TestClient]:
    wire_relay(services)
    with TestClient(create_app(services)) as client:
        yield client


def _selector(world: World, name: str) -> bytes:
    fn = next(i for i in world.ledger.abi if i.get("type") == "function" and i["name"] == name)
    return bytes(function_abi_to_4byte_selector(fn))


def test_a_lone_claim_goes_packed_and_the_chain_audits_clean(
    api: TestClient,
    services: Services,
    gateway_world: World,
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
) -> None:
    w = gateway_world
    start = w.w3.eth.block_number
    two = [(w.superior, SUPERIOR), (w.residents[1], PEER)]  # 2 + 1: the quorum (3, two)
    # 1 + 1 from peers, then a superior: the quorum is met only with the third
    three = [(w.residents[1], PEER), (w.residents[3], PEER), (w.superior, SUPERIOR)]
    lone: list[str] = []
    for resident, confirmers in ((w.residents[0], two), (w.residents[2], three)):
        body, rid = claim_body(w, resident, units=2)
        assert api.post("/v1/claims", json=body).status_code == 202
        for i, (evaluator, kind) in enumerate(confirmers):
            deadline = w.now() + 3600 + i  # two peers' equal signatures would share a digest
            body = confirm_body(w, evaluator, kind, [rid], deadline=deadline)
            r = api.post("/v1/confirmations", json=body)
            assert r.status_code == 202, r.text
        wait_credited(services, [rid])
        lone.append(rid)
    assert credited_events(w, start) == lone

    packed = _selector(w, "relayClaimPacked")
    sent = rows(services)
    assert len(sent) == 2 and all(r["status"] == "mined" for r in sent)
    for row, endorsements in zip(sent, (2, 3), strict=True):
        tx = w.w3.eth.get_transaction(HexBytes(row["tx_hash"]))
        assert bytes(tx["input"])[:4] == packed
        assert tx["gas"] == rawtx.packed_relay_gas(endorsements)
        used = w.w3.eth.get_transaction_receipt(HexBytes(row["tx_hash"]))["gasUsed"]
        assert used < tx["gas"]

    result = audit(w, artifacts, ruleset)
    assert not result.found.kept, described(result)


def test_two_claims_still_go_as_one_relay_claims_batch(
    api: TestClient, services: Services, gateway_world: World
) -> None:
    w = gateway_world
    ids = []
    for resident in w.residents[:2]:
        body, rid = claim_body(w, resident)
        assert api.post("/v1/claims", json=body).status_code == 202
        ids.append(rid)
    for evaluator, kind in ((w.superior, SUPERIOR), (w.residents[2], PEER)):
        r = api.post("/v1/confirmations", json=confirm_body(w, evaluator, kind, ids))
        assert r.status_code == 202, r.text
    wait_credited(services, ids)
    [row] = rows(services)
    tx = w.w3.eth.get_transaction(HexBytes(row["tx_hash"]))
    assert bytes(tx["input"])[:4] == _selector(w, "relayClaims")
