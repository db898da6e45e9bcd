"""Quorum of evaluators on relayed batches: weights, minimum confirmations and required kinds
per category, and the checks on each endorsement and record (direct path: test_quorum_direct.py).

Default rules: 1 volunteering (superior 2, peer 1, public 1, expert 2; threshold 3; 2 needed;
SUPERIOR and PEER required),
2 community service (superior 2, others 1; threshold 3; SUPERIOR required; max 4 units),
3 civic feedback (all 1; threshold 2; PUBLIC required), 100 littering (a violation; SUPERIOR and
PUBLIC required).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.authz_sig_quorum_helpers import ZERO32
from tests.support.reverts import reverts
from tests.support.world import EXPERT, PEER, PUBLIC, SUPERIOR, World

S, P, U, E = SUPERIOR, PEER, PUBLIC, EXPERT
POINTS = {1: 10, 2: 15, 3: 5}


def _endorsers(world: World, spec: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """``("superior", S)`` or ``("resident3", P, [0, 2])`` with the actor looked up by name."""
    return [(world.actors[name], *rest) for name, *rest in spec]


QUORUM = [
    pytest.param(1, [("superior", S), ("resident1", P)], None, id="c1-superior+peer"),
    pytest.param(1, [("resident1", P), ("resident2", P)], (2, 2, 0b0010), id="c1-two-peers"),
    pytest.param(
        1,
        [("resident1", P), ("panel", U), ("resident2", P)],
        (3, 3, 0b0110),
        id="c1-peer+public+peer-no-superior",
    ),
    pytest.param(1, [("expert", E)], (2, 1, 0b1000), id="c1-expert-alone"),
    pytest.param(1, [("superior", S)], (2, 1, 0b0001), id="c1-superior-alone"),
    pytest.param(1, [("expert", E), ("panel", U)], (3, 2, 0b1100), id="c1-expert+public"),
    pytest.param(
        1, [("superior", S), ("superior2", S)], (4, 2, 0b0001), id="c1-two-superiors-no-peer"
    ),
    pytest.param(
        1, [("superior", S), ("expert", E)], (4, 2, 0b1001), id="c1-superior+expert-no-peer"
    ),
    pytest.param(
        1, [("expert", E), ("superior", S), ("resident1", P)], None, id="c1-expert+superior+peer"
    ),
    pytest.param(
        2,
        [("resident1", P), ("resident2", P), ("panel", U)],
        (3, 3, 0b0110),
        id="c2-peer+peer+public-no-superior",
    ),
    pytest.param(
        2,
        [("expert", E), ("panel", U), ("resident1", P)],
        (3, 3, 0b1110),
        id="c2-expert+public+peer-no-superior",
    ),
    pytest.param(2, [("superior", S), ("resident1", P)], None, id="c2-superior+peer"),
    pytest.param(3, [("superior", S), ("resident1", P)], (2, 2, 0b0011), id="c3-no-public"),
    pytest.param(3, [("panel", U)], (1, 1, 0b0100), id="c3-public-alone"),
    pytest.param(3, [("panel", U), ("resident1", P)], None, id="c3-public+peer"),
    pytest.param(3, [("panel", U), ("panel2", U)], None, id="c3-two-panel"),
]


@pytest.mark.parametrize(("category", "spec", "short"), QUORUM)
def test_quorum_with_mixed_evaluator_kinds(
    world: World, category: int, spec: list[Any], short: tuple[int, int, int] | None
) -> None:
    a = world.residents[0]
    signed, rid = world.claim(a, category)
    endorsements = world.endorse([rid], _endorsers(world, spec))
    if short is None:
        (event,) = world.events(world.relay([signed], endorsements), "RecordCredited")
        assert (event["args"]["recordId"], event["args"]["points"]) == (rid, POINTS[category])
        assert world.credit(a) == POINTS[category]
        return
    weight, confirmations, kinds = short
    with reverts(
        "LedgerQuorumNotMet",
        recordId=rid,
        weight=weight,
        confirmations=confirmations,
        kindsPresent=kinds,
    ):
        world.relay([signed], endorsements)


def test_zero_weight_kind_adds_nothing_to_a_violation(world: World) -> None:
    """Peers weigh 0 for littering: their endorsement is neither weight nor a confirmation."""
    signed, rid = world.report(world.superior, world.residents[0])
    endorsements = world.endorse([rid], [(world.superior2, S), (world.residents[1], P)])
    with reverts("LedgerQuorumNotMet", recordId=rid, weight=2, confirmations=1, kindsPresent=1):
        world.operator.send(world.ledger.functions.relayReports([signed], endorsements))


# ---------------------------------------------------------------------------------- a batch

BATCHES = [
    pytest.param(
        [
            ("superior", S, [0, 1]),
            ("superior2", S, [2]),
            ("resident3", P, [0, 2]),
            ("resident4", P, [1]),
        ],
        None,
        id="all-met",
    ),
    pytest.param(
        [("superior", S, [0, 1]), ("expert", E, [1, 2]), ("resident3", P, [0, 1])],
        (2, 2, 1, 0b1000),
        id="last-short",
    ),
    pytest.param(
        [("superior", S, [0, 1, 2]), ("expert", E, [0, 1, 2]), ("resident3", P, [0, 2])],
        (1, 4, 2, 0b1001),
        id="middle-heavy-but-no-peer",
    ),
    pytest.param(
        [("superior", S, [0]), ("resident3", P, [0, 1]), ("expert", E, [2])],
        (1, 1, 1, 0b0010),
        id="middle-short-named-first",
    ),
]


@pytest.mark.parametrize(("spec", "short"), BATCHES)
def test_batch_with_partial_masks(world: World, spec: list[Any], short: Any) -> None:
    """Three residents' claims, each evaluator confirming a subset; all or nothing is credited."""
    subjects = world.residents[:3]
    signed, ids = zip(*(world.claim(r, 1, i + 1) for i, r in enumerate(subjects)), strict=True)
    endorsements = world.endorse(list(ids), _endorsers(world, spec))
    if short is None:
        events = world.events(world.relay(list(signed), endorsements), "RecordCredited")
        assert [(e["args"]["recordId"], e["args"]["points"]) for e in events] == [
            (ids[0], 10),
            (ids[1], 20),
            (ids[2], 30),
        ]
        assert [world.credit(r) for r in subjects] == [10, 20, 30]
        return
    index, weight, confirmations, kinds = short
    with reverts(
        "LedgerQuorumNotMet",
        recordId=ids[index],
        weight=weight,
        confirmations=confirmations,
        kindsPresent=kinds,
    ):
        world.relay(list(signed), endorsements)
    assert [world.credit(r) for r in subjects] == [0, 0, 0]


# ---------------------------------------------------------------------------------- endorsements


@pytest.mark.parametrize(
    "in_batch", [pytest.param(False, id="own-only"), pytest.param(True, id="in-batch")]
)
def test_resident_cannot_confirm_own_claim(world: World, in_batch: bool) -> None:
    a, b = world.residents[0], world.residents[1]
    claims = [world.claim(b), world.claim(a)] if in_batch else [world.claim(a)]
    ids = [rid for _, rid in claims]
    endorsements = world.endorse(ids, [(world.superior, S), (a, P)])
    with reverts("LedgerSelfConfirmation", recordId=ids[-1], evaluator=a.address):
        world.relay([c for c, _ in claims], endorsements)


@pytest.mark.parametrize("order", ["duplicate", "descending"])
def test_evaluators_must_be_strictly_ascending(world: World, order: str) -> None:
    signed, rid = world.claim(world.residents[0])
    if order == "duplicate":
        endorsements = world.endorse([rid], [(world.superior, S), (world.superior, S)])
        first = second = world.superior.address
    else:
        pair = sorted([world.superior, world.residents[1]], key=lambda x: int(x.address, 16))
        endorsements = world.endorse(
            [rid],
            [
                (pair[0], S if pair[0] is world.superior else P),
                (pair[1], S if pair[1] is world.superior else P),
            ],
        )
        endorsements.reverse()
        first, second = pair[1].address, pair[0].address
    with reverts("LedgerEvaluatorsNotSorted", evaluator=second, previous=first):
        world.relay([signed], endorsements)


@pytest.mark.parametrize(
    ("who", "kind"),
    [
        pytest.param("outsider", S, id="outsider-as-superior"),
        pytest.param("panel", E, id="panel-as-expert"),
        pytest.param("expert", U, id="expert-as-public"),
        pytest.param("superior", P, id="superior-not-a-resident-as-peer"),
        pytest.param("outsider", P, id="unregistered-peer"),
        pytest.param("resident1", S, id="peer-as-superior"),
    ],
)
def test_evaluator_lacking_the_role_of_its_kind(world: World, who: str, kind: int) -> None:
    signed, rid = world.claim(world.residents[0])
    endorsements = world.endorse([rid], [(world.actors[who], kind)])
    with reverts("LedgerEvaluatorLacksRole", evaluator=world.actors[who].address, kind=kind):
        world.relay([signed], endorsements)


def test_deregistered_resident_is_no_peer(world: World) -> None:
    b = world.residents[1]
    world.registrar.send(world.ledger.functions.deregisterResident(b.address))
    signed, rid = world.claim(world.residents[0])
    with reverts("LedgerEvaluatorLacksRole", evaluator=b.address, kind=P):
        world.relay([signed], world.endorse([rid], [(b, P)]))


@pytest.mark.parametrize("kind", [4, 7, 255])
def test_invalid_evaluator_kind(world: World, kind: int) -> None:
    signed, rid = world.claim(world.residents[0])
    with reverts("LedgerInvalidEvaluatorKind", kind=kind):
        world.relay([signed], world.endorse([rid], [(world.superior, kind)]))


@pytest.mark.parametrize(
    ("batch", "mask"),
    [
        pytest.param(1, 0, id="zero"),
        pytest.param(1, 0b10, id="beyond-1"),
        pytest.param(2, 0b111, id="beyond-2"),
        pytest.param(1, 2**256 - 1, id="all-bits"),
    ],
)
def test_invalid_mask(world: World, batch: int, mask: int) -> None:
    claims = [world.claim(r) for r in world.residents[:batch]]
    (e,) = world.endorse([rid for _, rid in claims], [(world.superior, S)])
    with reverts("LedgerInvalidMask", mask=mask):
        world.relay([c for c, _ in claims], [(e[0], e[1], mask, e[3], e[4])])


@pytest.mark.parametrize("size", [0, 257])
@pytest.mark.parametrize("fn", ["relayClaims", "relayReports"])
def test_invalid_batch_size(world: World, fn: str, size: int) -> None:
    one = (
        world.claim(world.residents[0])[0]
        if fn == "relayClaims"
        else world.report(world.superior, world.residents[0])[0]
    )
    (e,) = world.endorse([ZERO32], [(world.superior, S)])
    with reverts("LedgerInvalidBatchSize", size=size):
        world.operator.send(getattr(world.ledger.functions, fn)([one] * size, [e]), gas=12_000_000)


@pytest.mark.parametrize("count", [0, 65])
def test_invalid_endorsement_count(world: World, count: int) -> None:
    signed, rid = world.claim(world.residents[0])
    (e,) = world.endorse([rid], [(world.superior, S)])
    with reverts("LedgerInvalidEndorsementCount", count=count):
        world.relay([signed], [e] * count)


# ---------------------------------------------------------------------------------- record shape

SHAPES = [
    pytest.param({"category": 999}, "LedgerUnknownCategory", {"category": 999}, id="unknown"),
    pytest.param(
        {"category": 100},
        "LedgerCategoryKindMismatch",
        {"category": 100, "negative": True},
        id="violation-category",
    ),
    pytest.param(
        {"units": 0},
        "LedgerInvalidUnits",
        {"category": 1, "units": 0, "maxUnits": 8},
        id="zero-units",
    ),
    pytest.param(
        {"units": 9},
        "LedgerInvalidUnits",
        {"category": 1, "units": 9, "maxUnits": 8},
        id="too-many-units",
    ),
    pytest.param(
        {"category": 2, "units": 5},
        "LedgerInvalidUnits",
        {"category": 2, "units": 5, "maxUnits": 4},
        id="too-many-units-c2",
    ),
    pytest.param({"future": 3600}, "LedgerOccurredInFuture", {}, id="in-the-future"),
]


@pytest.mark.parametrize("path", ["relayed", "direct"])
@pytest.mark.parametrize(("shape", "error", "args"), SHAPES)
def test_record_shape(
    world: World, path: str, shape: dict[str, int], error: str, args: Any
) -> None:
    a = world.residents[0]
    category, units = shape.get("category", 1), shape.get("units", 1)
    occurred_at = world.now() + shape.get("future", -60)
    if error == "LedgerOccurredInFuture":
        args = {"occurredAt": occurred_at}
    with reverts(error, **args):
        if path == "direct":
            a.send(world.ledger.functions.submitClaim(category, units, occurred_at, ZERO32))
        else:
            signed, rid = world.claim(a, category, units, occurred_at=occurred_at)
            world.relay(
                [signed], world.endorse([rid], [(world.superior, S), (world.residents[1], P)])
            )


def test_report_on_a_participation_category(world: World) -> None:
    signed, rid = world.report(world.superior, world.residents[0], category=1)
    endorsements = world.endorse([rid], [(world.superior2, S), (world.panel, U)])
    with reverts("LedgerCategoryKindMismatch", category=1, negative=False):
        world.operator.send(world.ledger.functions.relayReports([signed], endorsements))


# ---------------------------------------------------------------------------------- one kind alone


def test_peers_alone_cannot_credit_volunteering(world: World) -> None:
    """Issue 14, finding 4: three residents confirming each other's volunteering as peers once
    credited it without any limit. Under the default rules a superior must confirm it too."""
    a = world.residents[0]
    peers = [(world.residents[i], P) for i in (1, 2, 3)]
    for units in (8, 8, 8):
        signed, rid = world.claim(a, 1, units)
        with reverts(
            "LedgerQuorumNotMet", recordId=rid, weight=3, confirmations=3, kindsPresent=0b0010
        ):
            world.relay([signed], world.endorse([rid], peers))
    assert world.credit(a) == 0
