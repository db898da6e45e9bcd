"""Flows shared by the cap, rule-version, appeal, reward and stateful ledger tests."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from credit.errors import ContractRevert
from credit.ruleset import RuleSet, parse_ruleset
from tests.support.world import PEER, PUBLIC, SUPERIOR, Actor, World

ZERO32 = b"\x00" * 32
LITTERING = 100
DAY = 86400
APPEAL_WINDOW = 14 * DAY
CCR = 10**18
RATE = 10**17  # reward_per_point of the default rules: 0.1 CCR


class Status:
    """``ViolationStatus`` of Common.sol."""

    NONE, RECORDED, APPEALED, UPHELD, OVERTURNED = range(5)


def role(name: str) -> bytes:
    return Web3.keccak(text=name)


def view_revert(world: World, fn: Any, sender: str | None = None) -> ContractRevert:
    """``eth_call`` ``fn`` (at the latest block's time) expecting a revert; returns the error."""
    try:
        fn.call({"from": sender} if sender else None)
    except Exception as exc:  # eth-tester raises TransactionFailed with the raw revert data
        err = world.system.decoder.from_exception(exc)
        assert isinstance(err, ContractRevert), str(exc)
        return err
    pytest.fail("the call did not revert")


# ------------------------------------------------------------------------------- rule sets
def variant(
    base: RuleSet,
    *,
    label: str | None = None,
    terms: dict[str, int] | None = None,
    categories: dict[int, dict[str, Any]] | None = None,
    drop: tuple[int, ...] = (),
) -> RuleSet:
    """A copy of ``base`` re-parsed from a modified dict (so the content hash changes with it)."""
    data = base.model_dump(mode="json", by_alias=True)
    data["label"] = label or f"{base.label} (variant)"
    data["terms"].update(terms or {})
    kept = []
    for cat in data["categories"]:
        if cat["id"] in drop:
            continue
        cat.update((categories or {}).get(cat["id"], {}))
        kept.append(cat)
    data["categories"] = kept
    return parse_ruleset(data)


def publish(world: World, rules: RuleSet, uri: str = "ipfs://rules") -> Any:
    ids, tuples = rules.onchain_categories()
    fn = world.rule_book.functions.publish(rules.onchain_terms(), uri, ids, tuples)
    return world.operator.send(fn, gas=4_000_000)


def block_time(world: World, receipt: Any) -> int:
    return int(world.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


def advance_to(world: World, timestamp: int) -> None:
    """Mine a block at ``timestamp`` (the next transaction lands one second later)."""
    world.advance(timestamp - world.now())


def genesis(world: World) -> int:
    return int(world.ledger.functions.epochSchedule().call()[1])


# ------------------------------------------------------------------------------- records
def credit(world: World, resident: Actor, category: int = 1, units: int = 1) -> Any:
    """Relay one claim confirmed by a superior and a second evaluator, which together meet the
    default rules' quorum: a panel member for community service (2) and civic feedback (3, which
    requires PUBLIC), a peer otherwise (volunteering, 1, requires SUPERIOR and PEER; so do the
    categories tests copy from it)."""
    signed, rid = world.claim(resident, category, units)
    peer = next(r for r in world.residents if r.address != resident.address)
    second = (world.panel, PUBLIC) if category in (2, 3) else (peer, PEER)
    return world.relay([signed], world.endorse([rid], [(world.superior, SUPERIOR), second]))


def relay_violation(
    world: World,
    resident: Actor,
    units: int = 1,
    *,
    reporter: Actor | None = None,
    endorsers: list[tuple[Actor, int]] | None = None,
) -> tuple[Any, bytes]:
    """A littering report by ``reporter`` (superior) endorsed by superior2 and panel."""
    signed, rid = world.report(reporter or world.superior, resident, LITTERING, units)
    endorsers = endorsers or [(world.superior2, SUPERIOR), (world.panel, PUBLIC)]
    fn = world.ledger.functions.relayReports([signed], world.endorse([rid], endorsers))
    return world.operator.send(fn, gas=3_000_000), rid


def report_directly(world: World, reporter: Actor, resident: Actor, units: int = 1) -> bytes:
    """``reportViolation`` from ``reporter``; returns the pending record id."""
    fn = world.ledger.functions.reportViolation(
        resident.address, LITTERING, units, world.now() - 60, ZERO32
    )
    (event,) = world.events(reporter.send(fn), "ViolationReported")
    return bytes(event["args"]["recordId"])


def appeal(world: World, resident: Actor, rid: bytes, statement: bytes = b"\x11" * 32) -> Any:
    return resident.send(world.ledger.functions.fileAppeal(rid, statement))


def resolve(world: World, rid: bytes, overturn: bool, reason: bytes = b"\x22" * 32) -> Any:
    return world.arbiter.send(world.ledger.functions.resolveAppeal(rid, overturn, reason))


def resolve_by_sig(world: World, rid: bytes, overturn: bool, reason: bytes = b"\x22" * 32) -> Any:
    """The arbiter's signed decision, relayed by the operator (``resolveAppealBySig``)."""
    from credit.chain.eip712 import digest, sign_digest

    ledger = world.ledger.functions
    nonce, deadline = ledger.nonces(world.arbiter.address).call(), 2**48 - 1
    message = {
        "recordId": rid,
        "overturn": overturn,
        "reason": reason,
        "nonce": nonce,
        "deadline": deadline,
    }
    sig = sign_digest(world.arbiter.key, digest(world.system.domain, "Decision", message))
    fn = ledger.resolveAppealBySig(rid, overturn, reason, nonce, deadline, sig.r, sig.vs)
    return world.operator.send(fn)


def state(world: World, resident: Actor) -> tuple[Any, ...]:
    return tuple(world.ledger.functions.residentState(resident.address).call())
