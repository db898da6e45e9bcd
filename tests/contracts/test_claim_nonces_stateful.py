"""A Hypothesis state machine over claim nonces: random cancels (up to the last uint32 value),
direct claims, fresh and replayed relayed claims, one by one or in batches, through both relay
entry points. Whatever the order, no record id is ever booked twice, a resident's nonce never
goes back, and a claim is booked exactly when its nonce is the resident's next usable one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from web3 import EthereumTesterProvider

from credit.chain.signing import pack_claim
from credit.errors import ContractRevert
from tests.support.authz_sig_quorum_helpers import ZERO32
from tests.support.world import PEER, SUPERIOR, Actor, World

LAST = 2**32 - 1
WHO = st.integers(0, 1)
VIA = st.sampled_from(["relayClaims", "relayClaimPacked"])
# Where a cancel moves the nonce: a little ahead, or right below / at the top.
TARGET = st.sampled_from(["last", "+1", "last-1", "back"])


@dataclass(frozen=True)
class Signed:
    """A signed claim with its endorsements, as anyone can read it from old calldata."""

    who: int
    claim: tuple[Any, ...]
    rid: bytes
    units: int

    @property
    def nonce(self) -> int:
        return int(self.claim[5])


class NonceMachine(RuleBasedStateMachine):
    def __init__(self, world: World) -> None:
        super().__init__()
        provider = world.w3.provider
        assert isinstance(provider, EthereumTesterProvider)
        self.tester = provider.ethereum_tester
        self.snapshot = self.tester.take_snapshot()
        self.w = world
        self.who: list[Actor] = world.residents[:2]
        self.nonces = [0, 0]  # the model of each resident's claim nonce
        self.balances = [0, 0]
        self.booked: set[bytes] = set()
        self.signed: list[Signed] = []

    def teardown(self) -> None:
        self.tester.revert_to_snapshot(self.snapshot)
        self.w.reset_nonces()

    # ------------------------------------------------------------------------------ helpers
    def sign(self, who: int, nonce: int, units: int) -> Signed:
        claim, rid = self.w.claim(self.who[who], units=units, nonce=nonce)
        s = Signed(who, claim, rid, units)
        self.signed.append(s)
        return s

    def endorse(self, batch: list[Signed]) -> list[Any]:
        ids = [s.rid for s in batch]
        return self.w.endorse(ids, [(self.w.superior, SUPERIOR), (self.w.residents[2], PEER)])

    def usable(self, s: Signed) -> bool:
        """What the ledger must decide: the resident's next nonce, and not the last value."""
        return s.nonce == self.nonces[s.who] and s.nonce != LAST

    def settle(self, receipt: Any, expected: list[Signed]) -> None:
        """Check the booked ids against the model's prediction; book them in the model."""
        credited = [] if receipt is None else self.w.events(receipt, "RecordCredited")
        ids = [bytes(e["args"]["recordId"]) for e in credited]
        for rid in ids:
            assert rid not in self.booked, f"record 0x{rid.hex()} booked twice"
            self.booked.add(rid)
        assert ids == [s.rid for s in expected]
        for s in expected:
            self.balances[s.who] += 10 * s.units

    def relay(self, batch: list[Signed], via: str) -> None:
        expected: list[Signed] = []
        for s in batch:  # in batch order, as the ledger books them
            if self.usable(s):
                expected.append(s)
                self.nonces[s.who] += 1
        try:
            if via == "relayClaimPacked":
                assert len(batch) == 1
                packed = pack_claim(batch[0].claim, self.endorse(batch))
                fn = self.w.ledger.functions.relayClaimPacked(packed)
                receipt = self.w.operator.send(fn, gas=1_000_000)
            else:
                receipt = self.w.relay([s.claim for s in batch], self.endorse(batch))
        except ContractRevert:
            receipt = None
        self.settle(receipt, expected)

    # -------------------------------------------------------------------------------- rules
    @initialize()
    def credit_one_claim_each(self) -> None:
        """Records on the books from the start, for the replays to aim at."""
        self.relay([self.sign(0, 0, 8), self.sign(1, 0, 2)], "relayClaims")

    @rule(who=WHO, to=TARGET)
    def cancel(self, who: int, to: str) -> None:
        now = self.nonces[who]
        targets = {"+1": now + 1, "last-1": LAST - 1, "last": LAST, "back": now - 1}
        wanted = targets[to]
        if not 0 <= wanted <= LAST:
            return
        try:
            self.who[who].send(self.w.ledger.functions.cancelClaimNonces(wanted))
        except ContractRevert as err:
            assert wanted <= now and err.name == "LedgerInvalidNonce"
            return
        assert wanted > now
        self.nonces[who] = wanted

    @rule(who=WHO)
    def submit_directly(self, who: int) -> None:
        fn = self.w.ledger.functions.submitClaim(1, 1, self.w.now() - 60, ZERO32)
        try:
            self.who[who].send(fn)
        except ContractRevert as err:
            assert self.nonces[who] == LAST and err.name == "LedgerClaimNoncesExhausted"
            return
        assert self.nonces[who] != LAST
        self.nonces[who] += 1

    @rule(who=WHO, via=VIA, ahead=st.sampled_from([0, 0, 1]), units=st.integers(1, 8))
    def relay_a_new_claim(self, who: int, via: str, ahead: int, units: int) -> None:
        nonce = min(self.nonces[who] + ahead, LAST)
        self.relay([self.sign(who, nonce, units)], via)

    @rule(pick=st.integers(0, 63), via=VIA)
    def replay_an_old_claim(self, pick: int, via: str) -> None:
        self.relay([self.signed[pick % len(self.signed)]], via)

    @rule()
    def replay_every_old_claim(self) -> None:
        """Every claim ever signed, again, in one batch (anyone can copy them from calldata)."""
        self.relay(list(self.signed), "relayClaims")

    @rule(picks=st.lists(st.integers(0, 63), min_size=1, max_size=3), fresh=WHO)
    def relay_a_mixed_batch(self, picks: list[int], fresh: int) -> None:
        """Old claims (maybe one twice) and one fresh claim, each evaluator signing them all."""
        batch = [self.signed[p % len(self.signed)] for p in picks]
        batch.append(self.sign(fresh, self.nonces[fresh], 1))
        self.relay(batch, "relayClaims")

    # --------------------------------------------------------------------------- invariants
    @invariant()
    def nonces_and_balances_match_the_model(self) -> None:
        for who, actor in enumerate(self.who):
            state = self.w.ledger.functions.residentState(actor.address).call()
            assert state[1] == self.nonces[who], "a claim nonce moved other than forward by one"
            assert state[2] == self.balances[who]


def test_no_record_is_ever_booked_twice(deployed: World) -> None:
    run_state_machine_as_test(
        lambda: NonceMachine(deployed),
        settings=settings(
            max_examples=15,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
