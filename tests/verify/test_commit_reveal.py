"""Commit-reveal on the EpochVerifier: windows, residency, binding commitments, errors by name."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_utils import keccak

from credit.artifacts import Artifact
from credit.chain.verifier import commitment_of
from credit.errors import ContractRevert
from tests.support.reverts import assert_revert, reverts
from tests.support.world import EPOCH, World
from tests.verify.rig import COMMIT_WINDOW, DAY, MARGIN, QUORUM, REVEAL_WINDOW, Rig, root_of

A = root_of("A")


def test_windows_follow_the_ledger_schedule(rig: Rig) -> None:
    length, genesis = rig.world.ledger.functions.epochSchedule().call()
    w = rig.windows(3)
    assert (w.commit_opens, w.reveal_opens, w.reveal_closes) == (
        genesis + 4 * length,
        genesis + 4 * length + COMMIT_WINDOW,
        genesis + 4 * length + COMMIT_WINDOW + REVEAL_WINDOW,
    )
    assert w.credit_closes == genesis + 5 * length  # the rest of epoch 4
    ledger, category, quorum = rig.contract.functions.config().call()
    assert (ledger, category, quorum) == (rig.world.ledger.address, 4, QUORUM)
    assert rig.contract.functions.version().call() == "2.1.0"


def test_commitment_binds_root_salt_and_sender(rig: Rig) -> None:
    who = rig.world.residents[0].address
    expected = keccak(encode(["bytes32", "bytes32", "address"], [A, b"s" * 32, who]))
    assert commitment_of(A, b"s" * 32, who) == expected
    assert rig.contract.functions.commitmentOf(A, b"s" * 32, who).call() == expected


@pytest.mark.parametrize(
    "offset",
    [
        pytest.param(-MARGIN, id="during-the-epoch-itself"),
        pytest.param(COMMIT_WINDOW + MARGIN, id="during-the-reveal-window"),
        pytest.param(COMMIT_WINDOW + REVEAL_WINDOW + MARGIN, id="after-the-reveal-window"),
    ],
)
def test_commit_outside_its_window_is_refused(rig: Rig, offset: int) -> None:
    w = rig.windows(0)
    rig.goto(w.commit_opens + offset)
    alice = rig.world.residents[0]
    with reverts(
        "VerifierOutsideCommitWindow", epoch=0, opensAt=w.commit_opens, closesAt=w.reveal_opens
    ):
        rig.commit(alice, 0, A)


@pytest.mark.parametrize(
    "offset",
    [
        pytest.param(MARGIN, id="during-the-commit-window"),
        pytest.param(COMMIT_WINDOW + REVEAL_WINDOW + MARGIN, id="after-the-reveal-window"),
    ],
)
def test_reveal_outside_its_window_is_refused(rig: Rig, offset: int) -> None:
    alice = rig.world.residents[0]
    rig.to_commit(0)
    rig.commit(alice, 0, A)
    w = rig.windows(0)
    if offset > MARGIN:  # already in the commit window otherwise
        rig.goto(w.commit_opens + offset)
    with reverts(
        "VerifierOutsideRevealWindow", epoch=0, opensAt=w.reveal_opens, closesAt=w.reveal_closes
    ):
        rig.reveal(alice, 0, A)


def test_finalize_before_the_reveal_window_closes_is_refused(rig: Rig) -> None:
    rig.vote(0, [(r, A) for r in rig.world.residents[:3]])
    closes = rig.windows(0).reveal_closes
    with reverts("VerifierFinalizeTooEarly", epoch=0, opensAt=closes):
        rig.client(rig.world.outsider).finalize(0)


def test_only_registered_residents_commit(rig: Rig) -> None:
    rig.to_commit(0)
    outsider = rig.world.outsider
    with reverts("VerifierNotResident", account=outsider.address):
        rig.commit(outsider, 0, A)


def test_a_commitment_is_made_once_and_never_zero(rig: Rig) -> None:
    alice = rig.world.residents[0]
    rig.to_commit(0)
    for bad in (bytes(32), (1 << 255).to_bytes(32, "big")):
        with reverts("VerifierInvalidCommitment", commitment=bad):
            rig.client(alice).commit(0, bad)
    rig.commit(alice, 0, A)
    with reverts("VerifierAlreadyCommitted", epoch=0, resident=alice.address):
        rig.commit(alice, 0, root_of("B"))
    assert rig.client().ballot(0, alice.address) == (True, False)


def test_reveal_needs_the_revealers_own_matching_commitment(rig: Rig) -> None:
    alice, bob, carol = rig.world.residents[:3]
    rig.to_commit(0)
    rig.commit(alice, 0, A)
    copied = commitment_of(A, b"alice's salt".rjust(32, b"\0"), alice.address)
    rig.client(bob).commit(0, copied)  # bob copies a commitment he saw
    rig.to_reveal(0)
    with reverts("VerifierNotCommitted", epoch=0, resident=carol.address):
        rig.reveal(carol, 0, A)
    with reverts("VerifierCommitmentMismatch", epoch=0, resident=bob.address):
        rig.client(bob).reveal(0, A, b"alice's salt".rjust(32, b"\0"))
    with reverts("VerifierCommitmentMismatch", epoch=0, resident=alice.address):
        rig.reveal(alice, 0, root_of("changed my mind"))
    with reverts("VerifierInvalidRoot", root=bytes(32)):
        rig.reveal(alice, 0, bytes(32))
    receipt = rig.reveal(alice, 0, A)
    (event,) = rig.world.events(receipt, "Revealed", rig.contract)
    assert (event["args"]["epoch"], event["args"]["resident"], event["args"]["root"]) == (
        0,
        alice.address,
        A,
    )
    with reverts("VerifierAlreadyRevealed", epoch=0, resident=alice.address):
        rig.reveal(alice, 0, A)
    client = rig.client()
    assert client.ballot(0, alice.address) == (True, True)
    assert rig.contract.functions.hasRevealed(0, alice.address, A).call()
    assert rig.contract.functions.revealCount(0, A).call() == 1


@pytest.mark.parametrize(
    ("quorum", "commit", "reveal"),
    [
        pytest.param(0, DAY, DAY, id="zero-quorum"),
        pytest.param(3, 0, DAY, id="no-commit-window"),
        pytest.param(3, DAY, 0, id="no-reveal-window"),
        pytest.param(3, 4 * DAY, 3 * DAY + 1, id="windows-longer-than-an-epoch"),
    ],
)
def test_constructor_refuses_a_bad_configuration(
    world: World, artifacts: dict[str, Artifact], quorum: int, commit: int, reveal: int
) -> None:
    art = artifacts["EpochVerifier"]
    factory = world.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    ctor = factory.constructor(world.ledger.address, 4, quorum, commit, reveal)
    with pytest.raises(ContractRevert) as exc:
        try:
            ctor.estimate_gas({"from": world.operator.address})
        except Exception as raw:
            raise world.system.decoder.from_exception(raw) from raw
    assert_revert(
        exc.value,
        "VerifierInvalidConfig",
        quorum=quorum,
        commitWindow=commit,
        revealWindow=reveal,
        epochLength=EPOCH,
    )
