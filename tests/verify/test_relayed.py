"""Relayed commit-reveal: a resident signs, anyone sends (commitBySig, revealFor), on a real EVM."""

from __future__ import annotations

import pytest
from eth_abi import encode
from eth_utils import keccak

from credit.artifacts import Artifact
from credit.chain.verifier import commit_digest, commitment_of, sign_commit
from tests.support.reverts import reverts
from tests.support.world import Actor, World
from tests.verify.rig import Rig, root_of, salt_of

A = root_of("A")


def _signed(rig: Rig, signer: Actor, epoch: int, commitment: bytes, deadline: int) -> bytes:
    chain_id = rig.world.system.record.chain_id
    return sign_commit(signer.key, chain_id, rig.contract.address, epoch, commitment, deadline)


def test_the_python_digest_is_the_contracts(rig: Rig) -> None:
    """The EIP-712 domain is the verifier's own ("EpochVerifier", "1", chain, address), and the
    digest wallets sign is the one built by hand from it (EIP-712's definition)."""
    _, name, version, chain_id, address, _, _ = rig.contract.functions.eip712Domain().call()
    assert (name, version, chain_id, address) == (
        "EpochVerifier",
        "1",
        rig.world.system.record.chain_id,
        rig.contract.address,
    )
    assert rig.contract.functions.version().call() == "2.1.0"
    domain_type = (
        b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    separator = keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [keccak(domain_type), keccak(text=name), keccak(text=version), chain_id, address],
        )
    )
    typehash = keccak(text="Commit(uint24 epoch,bytes32 commitment,uint256 deadline)")
    struct = keccak(encode(["bytes32", "uint24", "bytes32", "uint256"], [typehash, 7, A, 2**40]))
    expected = keccak(b"\x19\x01" + separator + struct)
    assert commit_digest(chain_id, address, 7, A, 2**40) == expected


def test_a_relayer_commits_and_reveals_for_a_resident(rig: Rig) -> None:
    alice, relayer = rig.world.residents[0], rig.world.outsider
    commitment = commitment_of(A, salt_of(alice), alice.address)
    rig.to_commit(0)
    deadline = rig.world.now() + 600
    receipt = rig.client(relayer).commit_by_sig(
        0, alice.address, commitment, deadline, _signed(rig, alice, 0, commitment, deadline)
    )
    (event,) = rig.world.events(receipt, "Committed", rig.contract)
    assert (event["args"]["resident"], event["args"]["commitment"]) == (alice.address, commitment)
    assert rig.client().ballot(0, alice.address) == (True, False)
    assert rig.client().ballot(0, relayer.address) == (False, False)
    rig.to_reveal(0)
    receipt = rig.client(relayer).reveal_for(0, alice.address, A, salt_of(alice))
    (event,) = rig.world.events(receipt, "Revealed", rig.contract)
    assert (event["args"]["resident"], event["args"]["root"]) == (alice.address, A)
    assert rig.contract.functions.hasRevealed(0, alice.address, A).call()
    with reverts("VerifierAlreadyRevealed", epoch=0, resident=alice.address):
        rig.client(relayer).reveal_for(0, alice.address, A, salt_of(alice))


def test_only_the_residents_own_unexpired_signature_commits(rig: Rig) -> None:
    alice, bob, relayer = rig.world.residents[0], rig.world.residents[1], rig.world.outsider
    commitment = commitment_of(A, salt_of(alice), alice.address)
    rig.to_commit(0)
    now = rig.world.now()
    client = rig.client(relayer)
    # bob's signature does not commit for alice, nor alice's for another epoch or deadline
    with reverts("VerifierInvalidSignature", resident=alice.address):
        client.commit_by_sig(
            0, alice.address, commitment, now + 600, _signed(rig, bob, 0, commitment, now + 600)
        )
    signed = _signed(rig, alice, 0, commitment, now + 600)
    with reverts("VerifierInvalidSignature", resident=alice.address):
        client.commit_by_sig(0, alice.address, commitment, now + 601, signed)
    with reverts("VerifierInvalidSignature", resident=alice.address):
        client.commit_by_sig(
            0, alice.address, commitment_of(A, b"x" * 32, alice.address), now + 600, signed
        )
    with reverts("VerifierInvalidSignature", resident=alice.address):
        client.commit_by_sig(0, alice.address, commitment, now + 600, b"\x01" * 65)
    stale = _signed(rig, alice, 0, commitment, now - 1)
    with reverts("VerifierExpiredSignature", deadline=now - 1):
        client.commit_by_sig(0, alice.address, commitment, now - 1, stale)
    # the signature commits once: sent again (by anyone) it finds the ballot taken
    client.commit_by_sig(0, alice.address, commitment, now + 600, signed)
    with reverts("VerifierAlreadyCommitted", epoch=0, resident=alice.address):
        rig.client(bob).commit_by_sig(0, alice.address, commitment, now + 600, signed)


def test_relayed_commits_keep_the_windows_and_residency(rig: Rig) -> None:
    outsider, relayer = rig.world.outsider, rig.world.residents[5]
    commitment = commitment_of(A, salt_of(outsider), outsider.address)
    w = rig.windows(0)
    deadline = w.reveal_closes
    signed = _signed(rig, outsider, 0, commitment, deadline)
    with reverts(
        "VerifierOutsideCommitWindow", epoch=0, opensAt=w.commit_opens, closesAt=w.reveal_opens
    ):
        rig.client(relayer).commit_by_sig(0, outsider.address, commitment, deadline, signed)
    rig.to_commit(0)
    with reverts("VerifierNotResident", account=outsider.address):
        rig.client(relayer).commit_by_sig(0, outsider.address, commitment, deadline, signed)


def test_a_copied_commitment_gains_nothing_when_relayed(rig: Rig) -> None:
    alice, bob, relayer = rig.world.residents[0], rig.world.residents[1], rig.world.outsider
    alices = commitment_of(A, salt_of(alice), alice.address)
    rig.to_commit(0)
    deadline = rig.world.now() + 600
    client = rig.client(relayer)
    client.commit_by_sig(
        0, alice.address, alices, deadline, _signed(rig, alice, 0, alices, deadline)
    )
    # bob signs alice's commitment as his own: it commits, but opens for nobody's root
    client.commit_by_sig(0, bob.address, alices, deadline, _signed(rig, bob, 0, alices, deadline))
    rig.to_reveal(0)
    with reverts("VerifierCommitmentMismatch", epoch=0, resident=bob.address):
        client.reveal_for(0, bob.address, A, salt_of(alice))
    with reverts("VerifierNotCommitted", epoch=0, resident=relayer.address):
        client.reveal_for(0, relayer.address, A, salt_of(alice))
    # a third party who learned alice's root and salt can only reveal what alice committed to
    with reverts("VerifierCommitmentMismatch", epoch=0, resident=alice.address):
        client.reveal_for(0, alice.address, root_of("B"), salt_of(alice))
    client.reveal_for(0, alice.address, A, salt_of(alice))
    assert rig.client().ballot(0, bob.address) == (True, False)
    assert rig.contract.functions.revealCount(0, A).call() == 1


def test_a_contract_account_commits_by_erc1271(
    rig: Rig, artifacts: dict[str, Artifact], world: World
) -> None:
    owner, relayer = world.residents[0], world.outsider
    art = artifacts["SignerWallet"]
    wallet = str(world.operator.tx.deploy(art.abi, art.bytecode, owner.address)["contractAddress"])
    world.registrar.send(world.ledger.functions.registerResidents([wallet]))
    commitment = commitment_of(A, salt_of(owner), wallet)
    rig.to_commit(0)
    deadline = world.now() + 600
    chain_id = world.system.record.chain_id
    signed = sign_commit(owner.key, chain_id, rig.contract.address, 0, commitment, deadline)
    stranger = sign_commit(relayer.key, chain_id, rig.contract.address, 0, commitment, deadline)
    with reverts("VerifierInvalidSignature", resident=wallet):
        rig.client(relayer).commit_by_sig(0, wallet, commitment, deadline, stranger)
    rig.client(relayer).commit_by_sig(0, wallet, commitment, deadline, signed)
    rig.to_reveal(0)
    rig.client(relayer).reveal_for(0, wallet, A, salt_of(owner))
    assert rig.client().ballot(0, wallet) == (True, True)


@pytest.mark.parametrize(
    "relayed", [pytest.param(False, id="direct"), pytest.param(True, id="relayed")]
)
def test_relayed_and_direct_ballots_finalise_alike(rig: Rig, relayed: bool) -> None:
    voters = rig.world.residents[:3]
    rig.to_commit(0)
    deadline = rig.world.now() + 3600
    relayer = rig.client(rig.world.outsider)
    for v in voters:
        c = commitment_of(A, salt_of(v), v.address)
        if relayed:
            relayer.commit_by_sig(0, v.address, c, deadline, _signed(rig, v, 0, c, deadline))
        else:
            rig.client(v).commit(0, c)
    rig.to_reveal(0)
    for v in voters:
        if relayed:
            relayer.reveal_for(0, v.address, A, salt_of(v))
        else:
            rig.reveal(v, 0, A)
    rig.to_finalize(0)
    relayer.finalize(0)
    assert rig.client().tally(0).root == A
