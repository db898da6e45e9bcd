"""RuleBook versions: governor publishing, notice period, dropped categories, validation."""

from __future__ import annotations

from typing import Any

import pytest

from credit.artifacts import Artifact
from credit.ruleset import RuleSet, parse_ruleset
from tests.support.ledger_flows import (
    ZERO32,
    advance_to,
    block_time,
    credit,
    publish,
    relay_violation,
    role,
    variant,
    view_revert,
)
from tests.support.reverts import assert_revert, reverts
from tests.support.world import EPOCH, NOTICE, PUBLIC, SUPERIOR, World

INACTIVE = (0, 0, 0, 0, 0, 0, 0, False, False, False)


def active(rule: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*rule[:-1], True)


def rule_of(rules: RuleSet, category: int) -> tuple[Any, ...]:
    ids, tuples = rules.onchain_categories()
    return active(tuples[ids.index(category)])


def credited(world: World, receipt: Any) -> tuple[int, int]:
    (event,) = world.events(receipt, "RecordCredited")
    return event["args"]["points"], event["args"]["ruleVersion"]


@pytest.fixture
def v2(ruleset: RuleSet) -> RuleSet:
    """Volunteering pays 12 points per hour instead of 10."""
    return variant(ruleset, label="v2", categories={1: {"points_per_unit": 12}})


def test_first_version_is_in_force_at_once_and_matches_the_rule_file(
    world: World, ruleset: RuleSet
) -> None:
    rb = world.rule_book.functions
    assert rb.latestVersion().call() == 1
    assert tuple(rb.versions().call()) == (1, 0, 0)
    terms, uri, published_at, effective_at = rb.ruleSet(1).call()
    assert bytes(terms[0]) == ruleset.content_hash()
    assert tuple(terms) == ruleset.onchain_terms()
    assert (uri, effective_at) == ("", published_at)
    assert rb.versionAt(published_at).call() == 1
    assert rb.versionAt(published_at - 1).call() == 0
    assert rb.categoriesOf(1).call() == [1, 2, 3, 4, 100]
    for category in (1, 2, 3, 4, 100):
        assert tuple(rb.ruleInForce(category).call()) == (1, rule_of(ruleset, category))
    assert rb.expiryEpochsInForce().call() == 26
    assert rb.noticePeriod().call() == NOTICE


def test_a_new_version_applies_only_after_the_notice_period(world: World, v2: RuleSet) -> None:
    rb, a = world.rule_book.functions, world.residents[0]
    receipt = publish(world, v2, "ipfs://v2")
    effective = block_time(world, receipt) + NOTICE
    (event,) = world.events(receipt, "RuleSetPublished", world.rule_book)
    assert dict(event["args"]) == {
        "ruleVersion": 2,
        "contentHash": v2.content_hash(),
        "effectiveAt": effective,
        "uri": "ipfs://v2",
    }
    assert len(world.events(receipt, "CategoryDefined", world.rule_book)) == 5
    (staged,) = world.events(receipt, "RulesStaged")
    assert (staged["args"]["ruleVersion"], staged["args"]["effectiveAt"]) == (2, effective)
    assert tuple(rb.versions().call()) == (1, 2, effective)
    assert (rb.versionAt(effective - 1).call(), rb.versionAt(effective).call()) == (1, 2)
    assert rb.ruleInForce(1).call()[0] == 1

    first = credit(world, a, 1, 2)
    advance_to(world, effective - 2)
    last_v1 = credit(world, a, 1, 2)
    assert block_time(world, last_v1) == effective - 1
    first_v2 = credit(world, a, 1, 2)
    assert block_time(world, first_v2) == effective
    assert [credited(world, r) for r in (first, last_v1, first_v2)] == [(20, 1), (20, 1), (24, 2)]

    assert tuple(rb.versions().call()) == (2, 0, 0)
    assert tuple(rb.ruleInForce(1).call()) == (2, rule_of(v2, 1))
    # Records keep the version they were computed under.
    logs = world.ledger.events.RecordCredited().get_logs(from_block=receipt["blockNumber"])
    assert [(log["args"]["points"], log["args"]["ruleVersion"]) for log in logs] == [
        (20, 1),
        (20, 1),
        (24, 2),
    ]
    assert world.credit(a) == 64


@pytest.mark.parametrize(
    ("before_effect", "pending"),
    [pytest.param(2, True, id="one-second-early"), pytest.param(1, False, id="at-effective-at")],
)
def test_one_version_may_be_pending_at_a_time(
    world: World, ruleset: RuleSet, v2: RuleSet, before_effect: int, pending: bool
) -> None:
    effective = block_time(world, publish(world, v2)) + NOTICE
    v3 = variant(ruleset, label="v3", categories={1: {"points_per_unit": 14}})
    with reverts("RuleBookVersionPending", ruleVersion=2, effectiveAt=effective):
        publish(world, v3)
    advance_to(world, effective - before_effect)
    if pending:
        with reverts("RuleBookVersionPending", ruleVersion=2, effectiveAt=effective):
            publish(world, v3)
        return
    receipt = publish(world, v3)
    assert block_time(world, receipt) == effective
    assert tuple(world.rule_book.functions.versions().call()) == (2, 3, effective + NOTICE)


def test_a_dropped_category_becomes_unknown_once_the_version_applies(
    world: World, ruleset: RuleSet
) -> None:
    rb, a = world.rule_book.functions, world.residents[0]
    v2 = variant(ruleset, label="no feedback", drop=(3,))
    effective = block_time(world, publish(world, v2)) + NOTICE
    assert rb.categoriesOf(2).call() == [1, 2, 4, 100]
    assert tuple(rb.ruleAt(2, 3).call()) == INACTIVE
    assert credited(world, credit(world, a, 3, 1)) == (5, 1)  # still in force under version 1
    pending = a.send(world.ledger.functions.submitClaim(3, 1, world.now() - 60, ZERO32))
    (submitted,) = world.events(pending, "ClaimSubmitted")
    world.panel.send(world.ledger.functions.confirm(submitted["args"]["recordId"], PUBLIC))

    advance_to(world, effective)
    with reverts("LedgerUnknownCategory", category=3):
        credit(world, a, 3, 1)
    with reverts("LedgerUnknownCategory", category=3):
        a.send(world.ledger.functions.submitClaim(3, 1, world.now() - 60, ZERO32))
    with reverts("LedgerUnknownCategory", category=3):  # a claim pending across the change
        world.superior.send(world.ledger.functions.confirm(submitted["args"]["recordId"], SUPERIOR))
    assert_revert(
        view_revert(world, rb.ruleInForce(3)), "RuleBookUnknownCategory", category=3, ruleVersion=2
    )
    assert credited(world, credit(world, a, 1, 1)) == (10, 2)

    v3 = variant(ruleset, label="feedback is back")  # re-adds category 3
    advance_to(world, block_time(world, publish(world, v3)) + NOTICE)
    assert credited(world, credit(world, a, 3, 2)) == (10, 3)


def test_a_version_may_drop_the_first_and_last_categories_and_add_one(
    world: World, ruleset: RuleSet
) -> None:
    a = world.residents[0]
    data = ruleset.model_dump(mode="json", by_alias=True)
    planting = {**data["categories"][0], "id": 5, "key": "tree_planting", "points_per_unit": 7}
    data["categories"] = [*data["categories"][1:4], planting]  # drops 1 and 100, adds 5
    data["label"] = "planting"
    v2 = parse_ruleset(data)
    with reverts("LedgerUnknownCategory", category=5):
        credit(world, a, 5, 1)
    advance_to(world, block_time(world, publish(world, v2)) + NOTICE)
    assert world.rule_book.functions.categoriesOf(2).call() == [2, 3, 4, 5]
    for category in (1, 100):
        assert_revert(
            view_revert(world, world.rule_book.functions.ruleInForce(category)),
            "RuleBookUnknownCategory",
            category=category,
            ruleVersion=2,
        )
    with reverts("LedgerUnknownCategory", category=1):
        credit(world, a, 1, 1)
    with reverts("LedgerUnknownCategory", category=100):
        relay_violation(world, a, 1)
    assert credited(world, credit(world, a, 5, 2)) == (14, 2)
    assert credited(world, credit(world, a, 2, 1)) == (15, 2)


def test_a_new_version_can_change_the_expiry(world: World, ruleset: RuleSet) -> None:
    a = world.residents[0]
    credit(world, a, 1, 3)
    published = block_time(world, publish(world, variant(ruleset, terms={"expiry_epochs": 52})))
    assert world.ledger.functions.residentState(a.address).call()[4] == 26
    advance_to(world, published + NOTICE)
    assert world.rule_book.functions.expiryEpochsInForce().call() == 52
    assert world.ledger.functions.residentState(a.address).call()[4] == 52
    world.advance(30 * EPOCH)
    assert world.credit(a) == 30  # would have lapsed after 26 epochs under version 1


# ---------------------------------------------------------------------------------- validation
def _bad(field: int, value: int) -> Any:
    return lambda rule: (*rule[:field], value, *rule[field + 1 :])


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(_bad(0, 0), id="zero-points"),
        pytest.param(_bad(1, 0), id="zero-max-units"),
        pytest.param(_bad(3, 0), id="zero-min-confirmations"),
        pytest.param(_bad(4, 0), id="zero-threshold"),
        pytest.param(_bad(5, 0), id="no-kind-counts"),
        pytest.param(_bad(6, 1 << 4), id="required-kind-out-of-range"),
        pytest.param(
            lambda r: (*r[:5], 0x0002, 1 << PUBLIC, *r[7:]), id="required-kind-weightless"
        ),
    ],
)
def test_an_unsatisfiable_category_is_refused(world: World, ruleset: RuleSet, spoil: Any) -> None:
    ids, rules = ruleset.onchain_categories()
    rules[2] = spoil(rules[2])
    fn = world.rule_book.functions.publish(ruleset.onchain_terms(), "", ids, rules)
    with reverts("RuleBookInvalidCategory", category=ids[2]):
        world.operator.send(fn)


@pytest.mark.parametrize(
    ("ids", "count"),
    [
        pytest.param([2, 1], 2, id="unsorted"),
        pytest.param([1, 1], 2, id="duplicate"),
        pytest.param([], 0, id="empty"),
        pytest.param([1, 2], 1, id="fewer-rules-than-ids"),
        pytest.param([1], 2, id="more-rules-than-ids"),
    ],
)
def test_a_malformed_category_list_is_refused(
    world: World, ruleset: RuleSet, ids: list[int], count: int
) -> None:
    rules = ruleset.onchain_categories()[1][:count]
    fn = world.rule_book.functions.publish(ruleset.onchain_terms(), "", ids, rules)
    with reverts("RuleBookInvalidCategoryList"):
        world.operator.send(fn)


def test_an_empty_content_hash_is_refused(world: World, ruleset: RuleSet) -> None:
    ids, rules = ruleset.onchain_categories()
    terms = (ZERO32, *ruleset.onchain_terms()[1:])
    with reverts("RuleBookEmptyContentHash"):
        world.operator.send(world.rule_book.functions.publish(terms, "", ids, rules))
    assert world.rule_book.functions.latestVersion().call() == 1


def test_only_the_governor_publishes(world: World, v2: RuleSet) -> None:
    ids, rules = v2.onchain_categories()
    fn = world.rule_book.functions.publish(v2.onchain_terms(), "", ids, rules)
    with reverts(
        "AccessControlUnauthorizedAccount",
        account=world.registrar.address,
        neededRole=role("GOVERNOR_ROLE"),
    ):
        world.registrar.send(fn)


def test_the_ledger_is_bound_once_and_only_the_rule_book_stages_rules(world: World) -> None:
    ledger = world.ledger.address
    with reverts("RuleBookLedgerAlreadyBound", ledger=ledger):
        world.operator.send(world.rule_book.functions.bindLedger(world.outsider.address))
    assert world.rule_book.functions.ledger().call() == ledger
    stage = world.ledger.functions.stageRules(9, world.now(), 0, 0, [], [])
    with reverts("RuleSinkUnauthorizedRuleBook", caller=world.operator.address):
        world.operator.send(stage)


def test_an_unbound_rule_book_has_no_version_and_refuses_to_publish(
    world: World, artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    art, me = artifacts["RuleBook"], world.operator.address
    address = world.operator.tx.deploy(art.abi, art.bytecode, me, me, NOTICE)["contractAddress"]
    book = world.w3.eth.contract(address=address, abi=art.abi)
    assert book.functions.versionAt(world.now()).call() == 0
    err = view_revert(world, book.functions.ruleInForce(1))  # calls run at the latest block
    assert_revert(err, "RuleBookNoVersionInForce", timestamp=world.now())
    ids, rules = ruleset.onchain_categories()
    with reverts("RuleBookLedgerNotBound"):
        world.operator.send(book.functions.publish(ruleset.onchain_terms(), "", ids, rules))
