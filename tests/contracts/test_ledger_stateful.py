"""A Hypothesis state machine over one deployed ledger: credit, violations, appeals and time.

The world is the module's ``deployed`` fixture (``build_world`` on an embedded chain, contracts
from ``compile_contracts()``); each example starts from a chain snapshot and reverts to it at
teardown, so examples never see each other's records.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector, to_bytes
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from web3 import EthereumTesterProvider

from tests.support.ledger_flows import (
    Status,
    appeal,
    block_time,
    credit,
    genesis,
    relay_violation,
    resolve,
)
from tests.support.reverts import reverts
from tests.support.world import EPOCH, World

EXPIRY = 26
POINTS = {1: 10, 3: 5}  # volunteering (uncapped), civic feedback (capped)
MAX_UNITS = {1: 8, 3: 3}
FEEDBACK_CAP = 30
SUBJECTS = 4  # residents 0-3 take part; fewer subjects make records meet more often
WHO = st.integers(0, SUBJECTS - 1)


class Reader:
    """Reads ledger views straight from eth-tester: the invariant runs after every step, and
    web3's middleware would cost several times the EVM call itself."""

    STATE = function_signature_to_4byte_selector("residentState(address)")
    CREDIT = function_signature_to_4byte_selector("creditOf(address)")

    def __init__(self, tester: Any, ledger: str, caller: str) -> None:
        self.tester, self.ledger, self.caller = tester, ledger, caller

    def _call(self, selector: bytes, address: str) -> bytes:
        data = "0x" + (selector + encode(["address"], [address])).hex()
        tx = {"from": self.caller, "to": self.ledger, "data": data, "gas": 1_000_000}
        return to_bytes(hexstr=self.tester.call(tx, "latest"))

    def raw_balance(self, address: str) -> int:
        types = ["bool", "uint32", "uint48", "uint24", "uint24"]
        return int(decode(types, self._call(self.STATE, address))[2])

    def credit_of(self, address: str) -> int:
        return int(decode(["uint256"], self._call(self.CREDIT, address))[0])


@dataclass
class Account:
    balance: int = 0
    last_active: int = 0

    def lapsed(self, epoch: int) -> bool:
        return self.balance != 0 and epoch > self.last_active + EXPIRY


@dataclass
class Case:
    rid: bytes
    resident: str
    deducted: int
    deadline: int
    status: int = Status.RECORDED
    window_closed: bool = False


class LedgerMachine(RuleBasedStateMachine):
    """Drives the ledger and keeps a model of every resident's balance next to it."""

    def __init__(self, world: World) -> None:
        super().__init__()
        provider = world.w3.provider
        assert isinstance(provider, EthereumTesterProvider)
        self.tester = provider.ethereum_tester
        self.snapshot = self.tester.take_snapshot()
        self.w = world
        self.read = Reader(self.tester, world.ledger.address, world.outsider.address)
        self.genesis = genesis(world)
        self.accounts = {r.address: Account() for r in world.residents[:SUBJECTS]}
        self.feedback: Counter[tuple[str, int]] = Counter()  # (resident, epoch) -> points
        self.cases: list[Case] = []
        self.sums: Counter[str] = Counter()

    def teardown(self) -> None:
        self.tester.revert_to_snapshot(self.snapshot)
        self.w.reset_nonces()

    # ------------------------------------------------------------------------------ helpers
    def epoch_of(self, timestamp: int) -> int:
        return (timestamp - self.genesis) // EPOCH

    def book(self, receipt: Any) -> int:
        """Adds the receipt's events to the sums; returns the epoch it was mined in."""
        for name, field in (
            ("RecordCredited", "points"),
            ("ViolationRecorded", "deducted"),
            ("AppealResolved", "restored"),
            ("CreditExpired", "amount"),
        ):
            self.sums[name] += sum(e["args"][field] for e in self.w.events(receipt, name))
        return self.epoch_of(block_time(self.w, receipt))

    def expire_if_lapsed(self, receipt: Any, address: str, epoch: int) -> None:
        account = self.accounts[address]
        lapses = [dict(e["args"]) for e in self.w.events(receipt, "CreditExpired")]
        if account.lapsed(epoch):
            expected = {
                "resident": address,
                "amount": account.balance,
                "lastActiveEpoch": account.last_active,
            }
            assert lapses == [expected]
            account.balance = 0
        else:
            assert lapses == []

    def open_cases(self) -> list[Case]:
        return [c for c in self.cases if c.status == Status.RECORDED and not c.window_closed]

    def appeal_and_resolve(self, case: Case, overturn: bool) -> None:
        resident = next(r for r in self.w.residents if r.address == case.resident)
        if self.w.now() + 1 > case.deadline:
            with reverts("LedgerAppealWindowClosed", recordId=case.rid, deadline=case.deadline):
                appeal(self.w, resident, case.rid)
            case.window_closed = True
            return
        self.book(appeal(self.w, resident, case.rid))
        receipt = resolve(self.w, case.rid, overturn)
        self.book(receipt)
        (event,) = self.w.events(receipt, "AppealResolved")
        assert event["args"]["restored"] == (case.deducted if overturn else 0)
        if overturn:
            self.accounts[case.resident].balance += case.deducted
        case.status = Status.OVERTURNED if overturn else Status.UPHELD

    # -------------------------------------------------------------------------------- rules
    @rule(who=WHO, category=st.sampled_from([1, 3]), units=st.integers(1, 8))
    def credit_a_record(self, who: int, category: int, units: int) -> None:
        units = min(units, MAX_UNITS[category])
        resident = self.w.residents[who]
        points = POINTS[category] * units
        epoch = self.epoch_of(self.w.now() + 1)
        if category == 3 and self.feedback[resident.address, epoch] + points > FEEDBACK_CAP:
            would_be = self.feedback[resident.address, epoch] + points
            with reverts(
                "LedgerCategoryCapExceeded",
                resident=resident.address,
                category=3,
                cap=FEEDBACK_CAP,
                wouldBe=would_be,
            ):
                credit(self.w, resident, category, units)
            return
        receipt = credit(self.w, resident, category, units)
        assert self.book(receipt) == epoch
        self.expire_if_lapsed(receipt, resident.address, epoch)
        (event,) = self.w.events(receipt, "RecordCredited")
        assert event["args"]["points"] == points
        account = self.accounts[resident.address]
        account.balance += points
        account.last_active = epoch
        if category == 3:
            self.feedback[resident.address, epoch] += points

    @precondition(lambda self: any(a.balance for a in self.accounts.values()))
    @rule(rank=WHO, units=st.integers(1, 3), then=st.sampled_from(["leave", "overturn", "uphold"]))
    def record_a_violation(self, rank: int, units: int, then: str) -> None:
        # By balance rank, so that the simplest draw (0) hits the richest resident.
        subjects = self.w.residents[:SUBJECTS]
        resident = sorted(subjects, key=lambda r: -self.accounts[r.address].balance)[rank]
        receipt, rid = relay_violation(self.w, resident, units)
        epoch = self.book(receipt)
        self.expire_if_lapsed(receipt, resident.address, epoch)
        account = self.accounts[resident.address]
        deducted = min(20 * units, account.balance)
        (event,) = self.w.events(receipt, "ViolationRecorded")
        assert (event["args"]["points"], event["args"]["deducted"]) == (20 * units, deducted)
        account.balance -= deducted
        case = Case(rid, resident.address, deducted, event["args"]["appealDeadline"])
        self.cases.append(case)
        if then != "leave":  # appealed at once; otherwise maybe later, by appeal_and_decide
            self.appeal_and_resolve(case, overturn=then == "overturn")

    @precondition(lambda self: self.open_cases())
    @rule(pick=st.integers(0, 63), overturn=st.booleans())
    def appeal_and_decide(self, pick: int, overturn: bool) -> None:
        cases = self.open_cases()
        self.appeal_and_resolve(cases[pick % len(cases)], overturn)

    @rule(epochs=st.integers(0, 30))
    def let_time_pass(self, epochs: int) -> None:
        self.w.advance(epochs * EPOCH if epochs else 3600)

    # --------------------------------------------------------------------------- invariants
    @invariant()
    def credited_minus_deducted_plus_restored_minus_expired_is_the_sum_of_balances(self) -> None:
        epoch = self.epoch_of(self.w.now())
        total = 0
        for address, account in self.accounts.items():
            raw = self.read.raw_balance(address)
            current = self.read.credit_of(address)
            assert 0 <= current <= raw
            assert raw == account.balance
            assert current == (0 if account.lapsed(epoch) else account.balance)
            total += raw
        s = self.sums
        assert (
            s["RecordCredited"] - s["ViolationRecorded"] + s["AppealResolved"] - s["CreditExpired"]
            == total
        )


def test_the_books_balance_under_random_operations(deployed: World) -> None:
    run_state_machine_as_test(
        lambda: LedgerMachine(deployed),
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
