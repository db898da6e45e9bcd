"""The auditor recomputes every finalised Poseidon credit root of private proofs from the chain.

On a world with private proofs (registry, Poseidon-root EpochVerifier) listed in its deployment
record: the root the residents agreed passes; a root a colluding quorum finalised with an inflated
leaf is named, with the recomputed root, the finalised one and the ``EpochFinalized`` evidence.
"""

from __future__ import annotations

import pytest

from credit.artifacts import Artifact
from credit.audit.checks import statuses
from credit.audit.report import build_report
from credit.chain.zk import PrivateProofs, identity_commitments, record_private_proofs
from credit.ruleset import RuleSet
from credit.zk.tree import build_tree, credit_leaves
from tests.audit.helpers import audit, codes, described
from tests.support.private_proofs import deploy_registered, finalise_root
from tests.support.world import World

ROOT_CHECK = "poseidon.root_mismatch"


def _private_city(
    world: World, artifacts: dict[str, Artifact], monkeypatch: pytest.MonkeyPatch
) -> tuple[PrivateProofs, int, dict[str, int]]:
    """Private proofs deployed and listed (for this test); three residents registered, two of
    them credited. Returns the proofs, the current epoch and the residents' epoch-end credits by
    address."""
    proofs, _ = deploy_registered(world, artifacts)
    monkeypatch.setattr(world.system, "record", record_private_proofs(world.system.record, proofs))
    alice, bob = world.residents[:2]
    for who in (alice, alice, bob):
        world.credit_one(who)
    credits = {r.address.lower(): world.credit(r) for r in world.residents}
    return proofs, world.epoch(), credits


def test_the_agreed_poseidon_root_passes(
    world: World,
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proofs, epoch, credits = _private_city(world, artifacts, monkeypatch)
    honest = build_tree(credit_leaves(credits, identity_commitments(proofs.registry)))
    finalise_root(world, proofs, epoch, honest.root_bytes)

    result = audit(world, artifacts, ruleset)
    assert ROOT_CHECK not in codes(result), described(result)
    (row,) = result.poseidon_roots
    assert (row.epoch, row.agrees, row.leaves, row.revealers) == (epoch, True, 3, 2)
    assert row.recomputed == "0x" + honest.root_bytes.hex()
    report = build_report(result)
    (status,) = [s for s in statuses(report) if s["code"] == ROOT_CHECK]
    assert status["status"] == "passed"
    assert report["poseidon_roots"][0]["agrees"] is True


def test_a_colluding_quorums_root_is_named(
    world: World,
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two residents agree a root in which carol (no credit) holds 1,000: a gate would accept her
    proof of "credit >= 500". The auditor names that epoch's EpochFinalized."""
    proofs, epoch, credits = _private_city(world, artifacts, monkeypatch)
    commitments = identity_commitments(proofs.registry)
    honest = build_tree(credit_leaves(credits, commitments))
    carol = world.residents[2].address.lower()
    assert credits[carol] == 0
    forged = build_tree(credit_leaves({**credits, carol: 1000}, commitments))
    finalise_root(world, proofs, epoch, forged.root_bytes)

    result = audit(world, artifacts, ruleset)
    assert result.found.counts.get(ROOT_CHECK) == 1, described(result)
    (finding,) = [d for d in result.found.kept if d.code == ROOT_CHECK]
    assert finding.data == {
        "epoch": epoch,
        "contract": proofs.roots.address.lower(),
        "expected": "0x" + honest.root_bytes.hex(),
        "found": "0x" + forged.root_bytes.hex(),
    }
    (final,) = proofs.roots.events.EpochFinalized.get_logs(from_block=0)
    (evidence,) = finding.evidence
    assert (evidence.tx_hash, evidence.block_number) == (
        final["transactionHash"].to_0x_hex(),
        final["blockNumber"],
    )
    assert f"Poseidon credit root of epoch {epoch}" in finding.message
    assert not result.clean
    (status,) = [s for s in statuses(build_report(result)) if s["code"] == ROOT_CHECK]
    assert status["status"] == "failed"


def test_without_private_proofs_the_check_does_not_run(
    world: World, artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    result = audit(world, artifacts, ruleset)
    assert result.data.private_proofs is None and result.poseidon_roots == []
    (status,) = [s for s in statuses(build_report(result)) if s["code"] == ROOT_CHECK]
    assert status["status"] == "not run"
