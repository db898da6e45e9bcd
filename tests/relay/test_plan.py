"""The batch planner: pure, so checked exhaustively with Hypothesis plus fixed replay cases."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.relay.plan import (
    MAX_ENDORSEMENTS,
    Batch,
    PlanClaim,
    PlanEndorsement,
    Quorum,
    Tally,
    plan_batch,
)

SUPERIOR, PEER, PUBLIC, EXPERT = range(4)
RULES = {
    1: Quorum(3, 2, (2, 1, 1, 2)),  # volunteering
    2: Quorum(3, 2, (2, 1, 1, 1), 1 << SUPERIOR),  # community service: a superior is required
    3: Quorum(2, 2, (1, 1, 1, 1), 1 << PUBLIC),  # civic feedback: the public panel is required
    4: Quorum(2, 1, (2, 0, 0, 2)),  # ledger verification: peers do not count
    100: Quorum(4, 2, (2, 0, 2, 2), 1 << SUPERIOR | 1 << PUBLIC),  # littering (reports only)
}
RESIDENTS = [f"0x{i:040x}" for i in (0xA1, 0xA2, 0xA3, 0xA4)]
EVALUATORS = [f"0x{i:040x}" for i in (0xE1, 0xE2, 0xE3, 0xE4, 0xE5)] + RESIDENTS[:2]


def rid(n: int) -> str:
    return f"0x{n:064x}"


def claim(
    n: int, resident: int = 0, nonce: int = 0, category: int = 1, seq: int | None = None
) -> PlanClaim:
    return PlanClaim(rid(n), RESIDENTS[resident], category, nonce, n if seq is None else seq)


def endorsement(eid: int, evaluator: int, kind: int, *records: int) -> PlanEndorsement:
    return PlanEndorsement(eid, EVALUATORS[evaluator], kind, tuple(sorted(rid(r) for r in records)))


def check_batch(batch: Batch, claims: list[PlanClaim], max_size: int) -> None:
    """Every constraint relayClaims enforces, recomputed independently from the batch alone."""
    ids = [c.record_id for c in batch.claims]
    assert ids == sorted(set(ids))
    assert set(batch.claims) <= set(claims)
    assert len(ids) <= max_size and len(batch.endorsements) <= MAX_ENDORSEMENTS
    assert bool(ids) == bool(batch.endorsements)
    kinds = {c.reporter is None for c in batch.claims}
    assert len(kinds) <= 1, "claims (relayClaims) and reports (relayReports) never share a batch"
    signers = [int(p.endorsement.evaluator, 16) for p in batch.endorsements]
    assert all(a < b for a, b in itertools.pairwise(signers)), "signers increase"
    tallies: dict[str, Tally] = defaultdict(Tally)
    for p in batch.endorsements:
        assert 0 < p.mask < 1 << len(ids), "masks refer to batch positions"
        chosen = [ids[i] for i in range(len(ids)) if p.mask >> i & 1]
        assert tuple(chosen) == p.endorsement.records, "the signed list is the masked ids in order"
        for i in range(len(ids)):
            if p.mask >> i & 1:
                c = batch.claims[i]
                assert c.resident != p.endorsement.evaluator, "no self-confirmation"
                assert c.reporter != p.endorsement.evaluator, "no reporter confirms their report"
                weight = RULES[c.category].weights[p.endorsement.kind]
                tallies[c.record_id] = tallies[c.record_id].add(p.endorsement.kind, weight)
    for c in batch.claims:
        assert RULES[c.category].met(tallies[c.record_id]), "every chosen claim meets quorum"
    first = {}
    for c in sorted(claims, key=lambda c: c.nonce, reverse=True):
        if c.reporter is not None:
            continue
        first[c.resident] = c.nonce
    for c in batch.claims:  # the ledger checks claim nonces in batch order; reports hold none
        if c.reporter is not None:
            continue
        assert c.nonce == first[c.resident]
        first[c.resident] += 1


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[PlanClaim], list[PlanEndorsement], int]:
    n = draw(st.integers(1, 10))
    numbers = draw(st.lists(st.integers(1, 2**20), min_size=n, max_size=n, unique=True))
    next_nonce = [0] * len(RESIDENTS)
    claims = []
    for seq, number in enumerate(numbers):
        who = draw(st.integers(0, len(RESIDENTS) - 1))
        if draw(st.integers(0, 3)) == 0:  # a violation report: any nonce, an official's
            reporter = draw(st.sampled_from(EVALUATORS[:5]))
            nonce = draw(st.integers(0, 3))
            claims.append(PlanClaim(rid(number), RESIDENTS[who], 100, nonce, seq, reporter))
            continue
        next_nonce[who] += draw(st.sampled_from([1, 1, 1, 2]))  # sometimes a gap
        claims.append(
            PlanClaim(
                rid(number),
                RESIDENTS[who],
                draw(st.sampled_from(sorted(set(RULES) - {100}))),
                next_nonce[who] - 1,
                seq,
            )
        )
    ends = []
    for eid in range(draw(st.integers(0, 30))):
        records = draw(st.lists(st.sampled_from(claims), min_size=1, max_size=3, unique=True))
        ends.append(
            PlanEndorsement(
                eid,
                draw(st.sampled_from(EVALUATORS)),
                draw(st.integers(0, 3)),
                tuple(sorted(c.record_id for c in records)),
            )
        )
    return claims, ends, draw(st.integers(1, 10))


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_any_plan_satisfies_the_ledger(
    scenario: tuple[list[PlanClaim], list[PlanEndorsement], int],
) -> None:
    claims, ends, max_size = scenario
    check_batch(plan_batch(claims, ends, RULES, max_size), claims, max_size)


@settings(max_examples=75, deadline=None)
@given(scenarios())
def test_planning_is_deterministic_and_order_free(scenario: tuple[list, list, int]) -> None:
    claims, ends, max_size = scenario
    assert plan_batch(claims, ends, RULES, max_size) == plan_batch(
        list(reversed(claims)), list(reversed(ends)), RULES, max_size
    )


def ids_of(batch: Batch) -> list[str]:
    return [c.record_id for c in batch.claims]


@pytest.mark.parametrize(
    ("claims", "ends", "max_size", "expected"),
    [
        pytest.param(
            [claim(1)],
            [endorsement(1, 0, SUPERIOR, 1), endorsement(2, 6, PEER, 1)],
            10,
            [1],
            id="superior-plus-peer",
        ),
        pytest.param([claim(1)], [endorsement(1, 0, SUPERIOR, 1)], 10, [], id="quorum-not-met"),
        pytest.param(
            [claim(1)],
            [
                endorsement(1, 0, SUPERIOR, 1, 9),
                endorsement(2, 1, SUPERIOR, 1),
                endorsement(3, 2, EXPERT, 1),
            ],
            10,
            [1],
            id="endorsement-naming-an-absent-claim-is-unusable",
        ),
        pytest.param(
            [claim(1), claim(2, resident=1)],
            [
                endorsement(1, 0, SUPERIOR, 1),
                endorsement(2, 0, SUPERIOR, 2),
                endorsement(3, 1, SUPERIOR, 2),
                endorsement(4, 1, SUPERIOR, 1),
            ],
            10,
            [1],
            id="crossed-evaluators-oldest-claim-first",
        ),
        pytest.param(
            [claim(1), claim(2, resident=1), claim(3, resident=2)],
            [
                endorsement(1, 0, SUPERIOR, 1, 2),
                endorsement(2, 1, SUPERIOR, 1, 2),
                endorsement(3, 2, SUPERIOR, 3),
                endorsement(4, 3, SUPERIOR, 3),
            ],
            1,
            [3],
            id="component-larger-than-max-size-waits",
        ),
        pytest.param(
            [claim(5, nonce=0), claim(4, nonce=1)],
            [endorsement(1, 0, SUPERIOR, 4, 5), endorsement(2, 1, SUPERIOR, 4, 5)],
            10,
            [],
            id="nonce-order-against-id-order-blocks-the-shared-endorsement",
        ),
        pytest.param(
            [claim(4, nonce=0), claim(5, nonce=1)],
            [endorsement(1, 0, SUPERIOR, 4, 5), endorsement(2, 1, SUPERIOR, 4, 5)],
            10,
            [4, 5],
            id="nonce-chain-in-id-order",
        ),
        pytest.param(
            [claim(4, nonce=0), claim(5, nonce=2)],
            [
                endorsement(1, 0, SUPERIOR, 4),
                endorsement(2, 1, SUPERIOR, 4),
                endorsement(3, 2, SUPERIOR, 5),
                endorsement(4, 3, SUPERIOR, 5),
            ],
            10,
            [4],
            id="nonce-gap-waits",
        ),
        pytest.param(
            [claim(1, resident=2)],
            [endorsement(1, 6, PEER, 1), endorsement(2, 0, PEER, 1), endorsement(3, 1, PEER, 1)],
            10,
            [1],
            id="three-peers",
        ),
        pytest.param(
            [claim(1, category=4)],
            [endorsement(1, 6, PEER, 1), endorsement(2, 0, PEER, 1)],
            10,
            [],
            id="zero-weight-kind-adds-nothing",
        ),
        pytest.param(
            [claim(1, category=2)],
            [
                endorsement(1, 6, PEER, 1),
                endorsement(2, 0, PUBLIC, 1),
                endorsement(3, 1, EXPERT, 1),
            ],
            10,
            [],
            id="required-kind-missing",
        ),
        pytest.param(
            [claim(1, resident=0)],
            [endorsement(1, 5, PEER, 1), endorsement(2, 0, SUPERIOR, 1)],
            10,
            [],
            id="self-confirmation-ignored",
        ),
    ],
)
def test_fixed_cases(
    claims: list[PlanClaim], ends: list[PlanEndorsement], max_size: int, expected: list[int]
) -> None:
    batch = plan_batch(claims, ends, RULES, max_size)
    check_batch(batch, claims, max_size)
    assert ids_of(batch) == [rid(n) for n in expected]


def test_one_endorsement_per_evaluator_per_batch_and_the_rest_later() -> None:
    claims = [claim(1), claim(2, resident=1)]
    ends = [
        endorsement(1, 0, SUPERIOR, 1),
        endorsement(2, 0, SUPERIOR, 2),
        endorsement(3, 1, EXPERT, 1),
        endorsement(4, 2, EXPERT, 2),
    ]
    first = plan_batch(claims, ends, RULES, 10)
    assert ids_of(first) == [rid(1)]
    assert [p.endorsement.id for p in first.endorsements] == [1, 3]
    rest = [c for c in claims if c not in first.claims]
    second = plan_batch(rest, [e for e in ends if e.id in (2, 4)], RULES, 10)
    assert ids_of(second) == [rid(2)]
    assert [p.mask for p in second.endorsements] == [1, 1]


def test_masks_follow_batch_positions() -> None:
    claims = [claim(3), claim(1, resident=1), claim(2, resident=2)]
    ends = [
        endorsement(1, 2, SUPERIOR, 1, 2, 3),
        endorsement(2, 1, SUPERIOR, 1, 3),
        endorsement(3, 0, EXPERT, 2),
    ]
    batch = plan_batch(claims, ends, RULES, 10)
    assert ids_of(batch) == [rid(1), rid(2), rid(3)]
    assert [(p.endorsement.evaluator, p.mask) for p in batch.endorsements] == [
        (EVALUATORS[0], 0b010),
        (EVALUATORS[1], 0b101),
        (EVALUATORS[2], 0b111),
    ]


def test_a_later_nonce_confirmed_first_does_not_starve_the_earlier_one() -> None:
    """A resident's nonce 2 claim accepted before their nonce 1 claim, each confirmed on its own
    by the same two evaluators: each evaluator brings one endorsement per batch, and the one for
    the older claim (nonce 2) cannot go before nonce 1. The planner takes nonce 1 first (it was
    stuck on nonce 2 for ever: found by a test under load, when both were pending at once)."""
    claims = [claim(0x20, nonce=2, seq=1), claim(0x10, nonce=1, seq=2)]
    ends = [
        endorsement(1, 0, SUPERIOR, 0x20),
        endorsement(2, 1, EXPERT, 0x20),
        endorsement(3, 0, SUPERIOR, 0x10),
        endorsement(4, 1, EXPERT, 0x10),
    ]
    first = plan_batch(claims, ends, RULES, 10)
    check_batch(first, claims, 10)
    assert ids_of(first) == [rid(0x10)]
    second = plan_batch([claims[0]], ends[:2], RULES, 10)
    assert ids_of(second) == [rid(0x20)]


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_planning_never_stalls_while_a_claim_could_go_alone(
    scenario: tuple[list[PlanClaim], list[PlanEndorsement], int],
) -> None:
    """Relay batch after batch until the planner finds nothing: then no resident's next claim,
    and no report, could have been relayed on its own with the endorsements naming only it."""
    claims, ends, max_size = scenario
    while True:
        batch = plan_batch(claims, ends, RULES, max_size)
        if not batch.claims:
            break
        used = {p.endorsement.id for p in batch.endorsements}
        claims = [c for c in claims if c not in batch.claims]
        ends = [e for e in ends if e.id not in used]
    firsts: dict[str, PlanClaim] = {}
    for c in sorted(claims, key=lambda c: c.nonce):
        if c.reporter is None:
            firsts.setdefault(c.resident, c)
    reports = [c for c in claims if c.reporter is not None]  # each could go alone
    for c in [*firsts.values(), *reports]:
        alone = [e for e in ends if e.records == (c.record_id,)]
        assert not plan_batch([c], alone, RULES, max_size).claims, f"{c} was left behind"


def report(n: int, resident: int = 0, reporter: int = 3, seq: int | None = None) -> PlanClaim:
    return PlanClaim(
        rid(n), RESIDENTS[resident], 100, 0, n if seq is None else seq, EVALUATORS[reporter]
    )


def test_reports_and_claims_go_in_separate_batches_oldest_kind_first() -> None:
    """An expert (evaluator 3) reports resident 0; a superior (0) and the panel (2) confirm it;
    resident 0's claim waits for the next batch, whatever their nonces."""
    records = [report(5, seq=1), claim(7, seq=2), claim(9, resident=1, seq=3)]
    ends = [
        endorsement(1, 0, SUPERIOR, 5, 7, 9),  # names a report and claims: usable in neither
        endorsement(2, 0, SUPERIOR, 5),
        endorsement(3, 2, PUBLIC, 5),
        endorsement(4, 0, SUPERIOR, 7),
        endorsement(5, 1, PUBLIC, 7),
    ]
    first = plan_batch(records, ends, RULES, 10)
    assert ids_of(first) == [rid(5)]
    assert [p.endorsement.id for p in first.endorsements] == [2, 3]
    rest = plan_batch(records[1:], ends[3:], RULES, 10)
    assert ids_of(rest) == [rid(7)]


def test_a_reporter_never_counts_for_their_own_report() -> None:
    records = [report(5, reporter=3)]
    ends = [endorsement(1, 0, SUPERIOR, 5), endorsement(2, 3, EXPERT, 5)]
    assert plan_batch(records, ends, RULES, 10).claims == ()  # the expert reported it
    ends.append(endorsement(3, 2, PUBLIC, 5))
    assert ids_of(plan_batch(records, ends, RULES, 10)) == [rid(5)]
