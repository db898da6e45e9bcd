"""The demo city's private proofs: a library gate a visitor passes without saying who they are.

Seed steps (see :mod:`credit.demo_steps`):

- :func:`private_proofs_deployed`: the operator deploys the identity registry, the second
  EpochVerifier on which residents agree each epoch's Poseidon credit root, the Groth16 verifier,
  and the city library's gate "credit ≥ 50" (scope label ``library-2027-Q1``); the deployment
  record lists them all, so the gateway serves and relays to them;
- :func:`identities_registered`: Ana, Chen and Fang register their identity commitments
  (``Poseidon(secret)``, the secret derived from their wallet's signature exactly as the browser
  derives it), each by a signature the gateway's side relays; Bo, Dara and Eli do not, so a
  visitor can register one of them from the browser;
- :func:`poseidon_root_agreed`: four residents' workers commit-reveal the Poseidon root of that
  period (the unchanged :class:`credit.verify.worker.Worker`, given the Poseidon root function)
  and it is finalised. Its tree holds the three registered residents; those with credit of at
  least 50 (Ana and Fang) can pass the library's gate from the browser, Chen cannot.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from eth_account import Account
from eth_account.messages import encode_defunct

from credit.verify.errors import VerifyError

if TYPE_CHECKING:
    from credit.artifacts import Artifact
    from credit.chain.deploy import System
    from credit.chain.zk import PrivateProofs
    from credit.demo import Person
    from credit.demo_steps import City

LIBRARY_LABEL = "library-2027-Q1"
LIBRARY_NAME = "city library: credit ≥ 50"
LIBRARY_THRESHOLD = 50
REGISTERED = ("Ana", "Chen", "Fang")
MARGIN = 3600


def _artifacts() -> dict[str, Artifact]:
    from credit.compile import load_artifact

    names = ("IdentityRegistry", "EpochVerifier", "CreditAtLeastVerifier", "CreditGate")
    return {n: load_artifact(n) for n in names}


def proofs_of(city: City) -> PrivateProofs:
    from credit.chain.zk import attach_private_proofs

    found = attach_private_proofs(city.system, _artifacts())
    if found is None:
        raise VerifyError("the demo's private proofs are not deployed: run its steps in order")
    return found


def private_proofs_deployed(city: City) -> None:
    """The operator deploys the private-proof contracts and the library's gate."""
    from credit.chain.zk import deploy_private_proofs, deploy_recorded_gate, record_private_proofs
    from credit.demo_verify import demo_terms

    artifacts = _artifacts()
    operator = city.staff[0]
    proofs = deploy_private_proofs(operator.tx, artifacts, city.system, demo_terms(city))
    gate, city.system.record = deploy_recorded_gate(
        operator.tx,
        artifacts,
        proofs,
        record_private_proofs(city.system.record, proofs),
        threshold=LIBRARY_THRESHOLD,
        label=LIBRARY_LABEL,
        name=LIBRARY_NAME,
    )
    city.say(
        f"Deployed private proofs: IdentityRegistry {proofs.registry.address}, Poseidon roots "
        f"{proofs.roots.address}, and the gate '{LIBRARY_NAME}' {gate.address}"
    )


def wallet_secret(person: Person, chain_id: int) -> int:
    """The identity secret ``person``'s wallet derives (as the browser's prover page does)."""
    from credit.zk.identity import secret_from_signature, secret_message

    signed = Account.sign_message(encode_defunct(text=secret_message(chain_id)), person.key)
    return secret_from_signature(bytes(signed.signature))


def identities_registered(city: City) -> None:
    """Ana, Chen and Fang register their identity commitments (relayed: no gas for them)."""
    from credit.chain.zk import register_by_sig, sign_register
    from credit.zk.identity import identity_commitment

    proofs = proofs_of(city)
    chain_id = int(city.system.record.chain_id)
    relayer = city.staff[0]
    for person in city.residents:
        if person.name not in REGISTERED:
            continue
        commitment = identity_commitment(wallet_secret(person, chain_id))
        deadline = city.now() + 3600
        signature = sign_register(
            person.key, chain_id, proofs.registry.address, person.address, commitment, deadline
        )
        register_by_sig(
            relayer.tx, proofs.registry, person.address, commitment, deadline, signature
        )
    city.say(
        f"{', '.join(REGISTERED)} registered identity commitments for private proofs "
        f"(period {city.epoch()})"
    )


def poseidon_root_agreed(city: City) -> None:
    """Four residents' workers agree the Poseidon root of the current period; it is finalised."""
    from credit.chain.events import EventSource
    from credit.chain.verifier import VerifierClient
    from credit.chain.zk import identity_commitments
    from credit.verify.poseidon_root import poseidon_root, poseidon_tree
    from credit.verify.replay import replay_epoch
    from credit.verify.worker import BallotStore, Worker

    proofs = proofs_of(city)
    epoch = city.epoch()
    source = EventSource(city.system)

    def root_of(e: int) -> bytes:
        replay = replay_epoch(source, e)
        commitments = identity_commitments(proofs.registry, to_block=replay.facts.as_of_block)
        return poseidon_root(replay.state, commitments)

    ana, bo, chen, _dara, _eli, fang = city.residents
    verifiers = [ana, bo, chen, fang]
    start = city.system.record.contracts["PoseidonRootVerifier"].block

    def client(p: Person | None) -> VerifierClient:
        tx = None if p is None else p.tx
        return VerifierClient(proofs.roots, tx, from_block=start, decoder=city.system.decoder)

    windows = client(None).windows(epoch)
    with tempfile.TemporaryDirectory(prefix="demo-poseidon-ballots-") as ballots:
        store = BallotStore(Path(ballots))

        def run(p: Person) -> object:
            worker = Worker(client(p), root_of, store, finalize=p is ana, timeout=0)
            try:
                return worker.run(epoch)
            except VerifyError:  # timeout=0: stops at its next wait; the demo moves the clock
                return None

        city.advance(windows.commit_opens + MARGIN - city.now())
        for p in verifiers:
            run(p)
        city.advance(windows.reveal_opens + MARGIN - city.now())
        for p in verifiers:
            run(p)
        city.advance(windows.reveal_closes + MARGIN - city.now())
        run(ana)
    final = bytes(proofs.roots.functions.finalRoot(epoch).call())
    if not any(final):
        raise VerifyError(f"the demo's Poseidon root of period {epoch} was not finalised")
    replay = replay_epoch(source, epoch)
    tree = poseidon_tree(
        replay.state, identity_commitments(proofs.registry, to_block=replay.facts.as_of_block)
    )
    able = sum(1 for leaf in tree.leaves if leaf.credit >= LIBRARY_THRESHOLD)
    city.say(
        f"Period {epoch}'s Poseidon credit root 0x{final.hex()[:12]}… agreed by "
        f"{len(verifiers)} residents' computers: {len(tree.leaves)} identities in it, {able} "
        f"with credit ≥ {LIBRARY_THRESHOLD} (the anonymity set of '{LIBRARY_NAME}')"
    )


def private_proofs_message(system: System) -> str | None:
    """Where a visitor proves and passes the library gate; None without private proofs."""
    from credit.chain.zk import recorded_gates

    gates = recorded_gates(system.record)
    if not gates:
        return None
    gate = gates[0]
    return (
        f"Private proofs: open /zk/prove.html to pass '{gate.name}' without saying who you are "
        f"(as Ana or Fang; register Bo, Dara or Eli's identity there for a later period)"
    )
