"""Reading the relay: the evaluators' confirmation queue, and how a revert is judged (pure)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from credit.gateway.app import create_app
from credit.gateway.services import Services
from credit.relay.outcome import SentClaim, SentEndorsement, Verdict, judge
from tests.support.auth_helpers import sign_in
from tests.support.relay_helpers import claim_body, confirm_body, wire_relay
from tests.support.world import PEER, SUPERIOR, World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


A, B = "0x" + "aa" * 20, "0x" + "bb" * 20
CARRIED = [
    SentClaim("0x01", A, 1, 2, 100, 0, 5000),
    SentClaim("0x02", B, 2, 1, 100, 3, 6000),
    SentClaim("0x03", B, 2, 1, 100, 4, 6000),
]
ENDS = [SentEndorsement(7, "0x" + "ee" * 20, 0, 9000), SentEndorsement(8, A, 1, 5000)]


@pytest.mark.parametrize(
    ("error", "args", "live", "verdict"),
    [
        pytest.param(
            "LedgerNotRegistered",
            {"account": A.upper()},
            (),
            Verdict(reject=("0x01",)),
            id="not-registered",
        ),
        pytest.param(
            "LedgerQuorumNotMet",
            {"recordId": "0x02", "weight": 1},
            (),
            Verdict(reject=("0x02",)),
            id="by-record-id",
        ),
        pytest.param(
            "LedgerInvalidNonce",
            {"account": B, "expected": 3, "given": 4},
            (),
            Verdict(reject=("0x03",)),
            id="nonce-used",
        ),
        pytest.param(
            "LedgerInvalidNonce",
            {"account": B, "expected": 2, "given": 3},
            [(B, 2)],
            Verdict(requeue_all=True),
            id="nonce-behind-a-live-claim",
        ),
        pytest.param(
            "LedgerInvalidNonce",
            {"account": B, "expected": 5, "given": 3},
            (),
            Verdict(reject=("0x02",), moved={B: 5}),
            id="nonce-moved-past-by-the-resident",
        ),
        pytest.param(
            "LedgerCategoryCapExceeded",
            {"resident": B, "category": 2, "cap": 1},
            (),
            Verdict(reject=("0x03",)),
            id="cap-rejects-the-last-nonce",
        ),
        pytest.param(
            "LedgerEvaluatorLacksRole",
            {"evaluator": "0x" + "EE" * 20, "kind": 0},
            (),
            Verdict(drop_endorsements=(7,)),
            id="evaluator-lost-role",
        ),
        pytest.param(
            "LedgerSelfConfirmation",
            {"recordId": "0x01", "evaluator": A},
            (),
            Verdict(drop_endorsements=(8,)),
            id="self-confirmation",
        ),
        pytest.param(
            "LedgerExpiredSignature",
            {"deadline": 5000},
            (),
            Verdict(reject=("0x01",), drop_endorsements=(8,)),
            id="expired",
        ),
        pytest.param(
            "LedgerInvalidUnits",
            {"category": 1, "units": 2, "maxUnits": 1},
            (),
            Verdict(reject=("0x01",)),
            id="units",
        ),
        pytest.param(
            "LedgerEvaluatorsNotSorted",
            {"evaluator": A, "previous": B},
            (),
            Verdict(reject=("0x01", "0x02", "0x03"), attributed=False),
            id="unattributable-rejects-the-batch",
        ),
    ],
)
def test_a_revert_is_judged_by_what_it_names(
    error: str, args: dict[str, object], live: list[tuple[str, int]], verdict: Verdict
) -> None:
    assert judge(error, args, CARRIED, ENDS, live) == verdict


def test_an_unreproducible_revert_requeues_everything() -> None:
    assert judge("Unreproducible", {}, CARRIED, ENDS, reproducible=False) == Verdict(
        requeue_all=True
    )


@pytest.fixture
def api(services: Services) -> Iterator[TestClient]:
    wire_relay(services)
    with TestClient(create_app(services)) as client:
        yield client


def test_the_queue_lists_waiting_claims_to_officials_only(
    api: TestClient, gateway_world: World
) -> None:
    w = gateway_world
    ids = []
    for resident in w.residents[:3]:
        body, rid = claim_body(w, resident)
        assert api.post("/v1/claims", json=body).status_code == 202
        ids.append(rid)
    done = confirm_body(w, w.superior, SUPERIOR, ids[:1])
    assert api.post("/v1/confirmations", json=done).status_code == 202
    as_superior = sign_in(api, w.superior.key)
    queue = api.get("/v1/confirmations/queue", headers=as_superior)
    assert queue.status_code == 200, queue.text
    assert [c["record_id"] for c in queue.json()["claims"]] == ids[1:]
    as_superior2 = sign_in(api, w.superior2.key)
    listed = api.get("/v1/confirmations/queue?limit=2", headers=as_superior2).json()["claims"]
    assert [c["record_id"] for c in listed] == ids[:2]
    assert listed[0]["confirmations"]["weight"] == 2
    as_resident = sign_in(api, w.residents[4].key)
    refused = api.get("/v1/confirmations/queue", headers=as_resident)
    assert refused.status_code == 403
    peer = confirm_body(w, w.residents[4], PEER, ids[1:2])
    assert api.post("/v1/confirmations", json=peer).status_code == 202
