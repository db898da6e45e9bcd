"""Measured gas scenarios. Every figure is the ``gasUsed`` of a real transaction receipt on the
embedded chain (eth-tester, py-evm), never a typed-in number.

Each scenario starts from the state :func:`bench._city.build_city` leaves (2 days into epoch 1;
every cast member has a record in epoch 1, was paid for epoch 0 and holds reward tokens) and
is rolled back afterwards, so the scenarios are independent and run in any order. Both the
benchmark (``bench/bench_gas.py``) and the snapshot test
(``tests/contracts/test_gas_snapshot.py``) call :func:`measure`, so they measure exactly the
same transactions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_utils import keccak
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from bench._city import DAY, PEER, PUBLIC, SUPERIOR, GasCity, account_address, build_city
from credit.artifacts import Artifact
from credit.chain.eip712 import digest, sign_digest
from credit.ruleset import RuleSet

Figures = dict[str, int]
Scenario = Callable[[GasCity], Figures]

SMALL = 10  # background residents of the small city (the snapshot's size)
LARGE = 10_000
BATCH = 50
NEWCOMERS = 100
GROWTH_KEY = "max_growth_pct_10_to_10000"

# Goals (most gas) for the headline figures; a benchmark reports them, it does not enforce them.
GOALS: dict[str, float] = {
    "confirmed_record_single": 60_000,
    "confirmed_record_batch50_per_record": 25_000,
    "reward_mint_single": 45_000,
    "reward_mint_batch50_per_resident": 25_000,
    GROWTH_KEY: 5.0,
}


class ScenarioError(RuntimeError):
    """A scenario did not produce the situation it claims to measure."""


def _gas(receipt: TxReceipt, per: int = 1) -> int:
    return round(int(receipt["gasUsed"]) / per)


def _expect(receipt: TxReceipt, contract: Contract, event: str, count: int) -> list[Any]:
    logs = getattr(contract.events, event)().process_receipt(receipt, errors=DISCARD)
    logs = [log for log in logs if log["address"] == contract.address]
    if len(logs) != count:
        raise ScenarioError(f"expected {count} {event} event(s), got {len(logs)}")
    return logs


def relayed_records(city: GasCity) -> Figures:
    """relayClaimPacked and relayClaims: one record (packed, and as a batch of one), one capped
    record, 50 residents, 50 records of one resident, 50 residents of whom one voided their claim
    (per record booked)."""
    cast, out = city.cast, {}
    pair = [(city.superior, SUPERIOR), (cast[1], PEER)]
    # a whole batch of the cast: their peer is the neighbour (nobody confirms their own record)
    batch = [(city.superior, SUPERIOR), (city.neighbour, PEER)]  # weights 2 + 1 >= 3
    with city.scenario():  # the single-record path: relayClaimPacked
        city.at(1, 3 * DAY)
        receipt = city.credit_packed(cast[0], 1, pair)
        _expect(receipt, city.ledger, "RecordCredited", 1)
        out["confirmed_record_single"] = _gas(receipt)
    with city.scenario():  # the same record as a batch of one
        city.at(1, 3 * DAY)
        receipt = city.credit_batch(cast[:1], 1, pair)
        _expect(receipt, city.ledger, "RecordCredited", 1)
        out["confirmed_record_single_batch_of_one"] = _gas(receipt)
    with city.scenario():
        city.at(1, 3 * DAY)
        receipt = city.credit_batch(cast[:1], 2, pair)  # cast[0] already used category 2
        _expect(receipt, city.ledger, "RecordCredited", 1)
        out["confirmed_record_single_capped_category"] = _gas(receipt)
    with city.scenario():
        city.at(1, 3 * DAY)
        receipt = city.credit_batch(cast[:BATCH], 1, batch)
        _expect(receipt, city.ledger, "RecordCredited", BATCH)
        out["confirmed_record_batch50_per_record"] = _gas(receipt, BATCH)
    with city.scenario():
        city.at(1, 3 * DAY)
        first = int(city.ledger.functions.claimNonce(cast[0].address).call())
        signed = [city.claim(cast[0], 1, nonce=first + i) for i in range(BATCH)]
        ids = [rid for _, rid in signed]
        receipt = city.relay([s for s, _ in signed], city.endorse(ids, batch))
        _expect(receipt, city.ledger, "RecordCredited", BATCH)
        out["confirmed_record_batch50_same_resident_per_record"] = _gas(receipt, BATCH)
    with city.scenario():  # one of the 50 residents cancels first: the batch skips that claim
        city.at(1, 3 * DAY)
        signed = [city.claim(r, 1) for r in cast[:BATCH]]
        ends = city.endorse([rid for _, rid in signed], batch)
        voider = cast[BATCH // 2]
        nonce = int(city.ledger.functions.claimNonce(voider.address).call())
        voider.send(city.ledger.functions.cancelClaimNonces(nonce + 1))
        receipt = city.relay([s for s, _ in signed], ends)
        _expect(receipt, city.ledger, "RecordCredited", BATCH - 1)
        _expect(receipt, city.ledger, "ClaimSkipped", 1)
        out["confirmed_record_batch50_one_skipped_per_record"] = _gas(receipt, BATCH - 1)
    return out


def rewards(city: GasCity) -> Figures:
    """mintRewards for epoch 1, in epoch 2, to residents already holding tokens from epoch 0."""
    cast, out = city.cast, {}
    with city.scenario():
        city.at(2, DAY)
        receipt = city.mint(1, cast[1:2])
        _expect(receipt, city.ledger, "RewardTermsFixed", 1)
        out["reward_mint_first_of_epoch"] = _gas(receipt)
        receipt = city.mint(1, cast[:1])  # the epoch's terms are fixed now
        _expect(receipt, city.ledger, "RewardTermsFixed", 0)
        _expect(receipt, city.ledger, "RewardMinted", 1)
        out["reward_mint_single"] = _gas(receipt)
    with city.scenario():
        city.at(2, DAY)
        receipt = city.mint(1, cast[:BATCH])  # one run per epoch: it also fixes the terms
        _expect(receipt, city.ledger, "RewardMinted", BATCH)
        out["reward_mint_batch50_per_resident"] = _gas(receipt, BATCH)
    return out


def direct_records(city: GasCity) -> Figures:
    """submitClaim, then confirm by a superior (not final) and by a peer (final)."""
    cast, ledger, out = city.cast, city.ledger, {}
    with city.scenario():
        city.at(1, 3 * DAY)
        fn = ledger.functions.submitClaim(1, 1, city.now() - 60, b"\x00" * 32)
        receipt = cast[0].send(fn)
        (event,) = _expect(receipt, ledger, "ClaimSubmitted", 1)
        out["submit_claim"] = _gas(receipt)
        record_id = event["args"]["recordId"]
        receipt = city.superior.send(ledger.functions.confirm(record_id, SUPERIOR))
        _expect(receipt, ledger, "RecordCredited", 0)
        out["confirm_direct_nonfinal"] = _gas(receipt)
        receipt = cast[1].send(ledger.functions.confirm(record_id, PEER))
        _expect(receipt, ledger, "RecordCredited", 1)
        out["confirm_direct_final"] = _gas(receipt)
    return out


def violations(city: GasCity) -> Figures:
    """relayReports of one violation, its appeal, and an arbiter overturning it."""
    cast, ledger, out = city.cast, city.ledger, {}
    with city.scenario():
        city.at(1, 3 * DAY)
        # the expert reports, so that the superior and the panel can confirm
        signed, rid = city.report(city.expert, cast[0])
        endorsements = city.endorse([rid], [(city.superior, SUPERIOR), (city.panel, PUBLIC)])
        receipt = city.operator.send(
            ledger.functions.relayReports([signed], endorsements), gas=3_000_000
        )
        (event,) = _expect(receipt, ledger, "ViolationRecorded", 1)
        if event["args"]["deducted"] == 0:
            raise ScenarioError("the violation deducted nothing: the resident had no credit")
        out["report_violation_relayed"] = _gas(receipt)
        receipt = cast[0].send(ledger.functions.fileAppeal(rid, b"\x01" * 32))
        _expect(receipt, ledger, "AppealFiled", 1)
        out["file_appeal"] = _gas(receipt)
        receipt = city.arbiter.send(ledger.functions.resolveAppeal(rid, True, b"\x02" * 32))
        _expect(receipt, ledger, "AppealResolved", 1)
        out["resolve_appeal_overturn"] = _gas(receipt)
        # the same, decided by the arbiter's signature relayed by the gateway's key
        signed, rid = city.report(city.expert, cast[0])
        endorsements = city.endorse([rid], [(city.superior, SUPERIOR), (city.panel, PUBLIC)])
        city.operator.send(ledger.functions.relayReports([signed], endorsements), gas=3_000_000)
        cast[0].send(ledger.functions.fileAppeal(rid, b"\x01" * 32))
        nonce = ledger.functions.nonces(city.arbiter.address).call()
        message = {
            "recordId": rid,
            "overturn": True,
            "reason": b"\x02" * 32,
            "nonce": nonce,
            "deadline": 2**48 - 1,
        }
        sig = sign_digest(city.arbiter.key, digest(city.domain, "Decision", message))
        fn = ledger.functions.resolveAppealBySig(
            rid, True, b"\x02" * 32, nonce, 2**48 - 1, sig.r, sig.vs
        )
        receipt = city.operator.send(fn)
        _expect(receipt, ledger, "AppealResolved", 1)
        out["resolve_appeal_by_sig_overturn"] = _gas(receipt)
    return out


def residents(city: GasCity) -> Figures:
    """registerResidents (1 and 100 new addresses) and cancelClaimNonces."""
    cast, ledger, out = city.cast, city.ledger, {}
    newcomers = [account_address(b"newcomer", i) for i in range(NEWCOMERS + 1)]
    with city.scenario():
        city.at(1, 3 * DAY)
        receipt = city.register(newcomers[:1])
        _expect(receipt, ledger, "ResidentRegistered", 1)
        out["register_resident_single"] = _gas(receipt)
        receipt = city.register(newcomers[1:])
        _expect(receipt, ledger, "ResidentRegistered", NEWCOMERS)
        out["register_resident_batch100_per_resident"] = _gas(receipt, NEWCOMERS)
        nonce = int(ledger.functions.claimNonce(cast[0].address).call())
        receipt = cast[0].send(ledger.functions.cancelClaimNonces(nonce + 1))
        _expect(receipt, ledger, "ClaimNonceCancelled", 1)
        out["cancel_claim_nonces"] = _gas(receipt)
    return out


def rules(city: GasCity) -> Figures:
    """RuleBook.publish of a second version of the rule set (pushed into the ledger)."""
    with city.scenario():
        city.at(1, 3 * DAY)
        ids, category_rules = city.ruleset.onchain_categories()
        terms = city.ruleset.onchain_terms()
        fn = city.rule_book.functions.publish(terms, "", ids, category_rules)
        receipt = city.operator.send(fn, gas=5_000_000)
        _expect(receipt, city.rule_book, "RuleSetPublished", 1)
        return {"publish_rule_set": _gas(receipt)}


def verification(city: GasCity) -> Figures:
    """EpochVerifier ballots, each sent by the resident and relayed for them: ``commit`` beside
    ``commitBySig`` (EIP-712 signature checked), and ``reveal`` beside ``revealFor``, each reveal
    joining a root already revealed in the epoch (so both write the same slots)."""
    from credit.chain.verifier import VerifierTerms, commitment_of, deploy_verifier, sign_commit
    from credit.compile import load_artifact

    first, mine, relayed = city.cast[:3]
    root = keccak(text="gas root")
    salts = {a.address: keccak(a.key) for a in (first, mine, relayed)}
    out: Figures = {}
    with city.scenario():
        contract, _ = deploy_verifier(
            city.operator.tx,
            {"EpochVerifier": load_artifact("EpochVerifier")},
            city.system,
            VerifierTerms(quorum=1, commit_window=2 * DAY, reveal_window=2 * DAY),
        )
        verifier = contract.functions
        commitment = {a: commitment_of(root, s, a) for a, s in salts.items()}
        city.at(2, DAY // 2)  # epoch 1's commit window
        first.send(verifier.commit(1, commitment[first.address]))
        receipt = mine.send(verifier.commit(1, commitment[mine.address]))
        _expect(receipt, contract, "Committed", 1)
        out["verifier_commit"] = _gas(receipt)
        deadline = city.now() + DAY
        signature = sign_commit(
            relayed.key,
            city.system.record.chain_id,
            contract.address,
            1,
            commitment[relayed.address],
            deadline,
        )
        fn = verifier.commitBySig(
            1, relayed.address, commitment[relayed.address], deadline, signature
        )
        receipt = city.neighbour.send(fn)
        _expect(receipt, contract, "Committed", 1)
        out["verifier_commit_by_sig"] = _gas(receipt)
        city.at(2, 2 * DAY + DAY // 2)  # its reveal window
        first.send(verifier.reveal(1, root, salts[first.address]))
        receipt = mine.send(verifier.reveal(1, root, salts[mine.address]))
        _expect(receipt, contract, "Revealed", 1)
        out["verifier_reveal"] = _gas(receipt)
        fn = verifier.revealFor(1, relayed.address, root, salts[relayed.address])
        receipt = city.neighbour.send(fn)
        _expect(receipt, contract, "Revealed", 1)
        out["verifier_reveal_for"] = _gas(receipt)
    return out


SCENARIOS: tuple[Scenario, ...] = (
    relayed_records,
    rewards,
    direct_records,
    violations,
    residents,
    rules,
    verification,
)


def measure(city: GasCity) -> Figures:
    """Every figure of every scenario on ``city``, by name."""
    out: Figures = {}
    for scenario in SCENARIOS:
        figures = scenario(city)
        clash = out.keys() & figures.keys()
        if clash:
            raise ScenarioError(f"figures measured twice: {sorted(clash)}")
        out.update(figures)
    return out


def snapshot_figures(artifacts: dict[str, Artifact], ruleset: RuleSet) -> Figures:
    """The figures of the committed gas snapshot: every scenario in the small city."""
    return measure(build_city(artifacts, ruleset, background=SMALL))


def growth_pct(small: Figures, large: Figures) -> dict[str, float]:
    """For each figure, ``100 * |large - small| / small``."""
    return {k: 100 * abs(large[k] - small[k]) / small[k] for k in small}
