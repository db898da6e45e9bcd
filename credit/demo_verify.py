"""The demo city's verification: residents' computers check the ledger and earn credit for it.

Seed steps (see :mod:`credit.demo_steps`):

- :func:`verifier_deployed`: the operator deploys the EpochVerifier and grants it VERIFIER_ROLE
  (windows of period E: commit for the first five sevenths of period E+1, then reveal for the
  rest of it, so that a commit window is open at the end of the story);
- :func:`period_verified`: period 1 is verified by five residents running the real worker
  (:class:`credit.verify.worker.Worker`, what `credit verify run` runs). Four agree; Eli's worker
  has a bug (it counts one point too many) and reveals another root: the consensus root is
  finalised and the four agreeing residents are credited one unit of "ledger verification";
  Eli earns nothing. Each worker is run once per window on the demo's time-travelling clock
  (with ``timeout=0`` it stops at the first wait, and the next run resumes from its ballot
  file), exactly as a resident would re-run it;
- :func:`open_for_verification`: the period whose commit window is open while the demo runs,
  which the visitor verifies from the browser.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from credit.chain.verifier import VerifierClient, VerifierTerms, deploy_verifier
from credit.verify.errors import VerifyError

if TYPE_CHECKING:
    from credit.chain.deploy import System
    from credit.chain.tx import Transactor
    from credit.demo import Person
    from credit.demo_steps import City

QUORUM = 3
VERIFIED_PERIOD = 1
MARGIN = 3600  # land this far inside a window


def demo_terms(city: City) -> VerifierTerms:
    """The demo verifiers' terms (private proofs' too): a quorum of :data:`QUORUM`, five
    sevenths of a period to commit and the rest to reveal."""
    length = city.settings.epoch_seconds
    commit_window = length * 5 // 7
    return VerifierTerms(QUORUM, commit_window, reveal_window=length - commit_window)


def verifier_deployed(city: City) -> None:
    """The operator deploys the EpochVerifier; the deployment record lists it."""
    from credit.compile import load_artifact

    _, record = deploy_verifier(
        city.staff[0].tx,
        {"EpochVerifier": load_artifact("EpochVerifier")},
        city.system,
        demo_terms(city),
    )
    city.system.record = record
    address = record.contracts["EpochVerifier"].address
    city.say(f"Deployed EpochVerifier {address}: residents' computers verify each period")


def _client(city: City, person: Person | None = None) -> VerifierClient:
    return verifier_client(city.system, None if person is None else person.tx)


def verifier_client(system: System, tx: Transactor | None = None) -> VerifierClient:
    """A client of the deployment's EpochVerifier, sending with ``tx`` if given."""
    from credit.chain.verifier import attach_verifier
    from credit.compile import load_artifact

    contract = attach_verifier(system, {"EpochVerifier": load_artifact("EpochVerifier")})
    start = system.record.contracts["EpochVerifier"].block
    return VerifierClient(contract, tx, from_block=start, decoder=system.decoder)


def _root_of(city: City, *, buggy: bool = False) -> Any:
    """The worker's root function: the honest replay, or one that counts a point too many."""
    from credit.chain.events import EventSource
    from credit.verify.merkle import state_root
    from credit.verify.replay import replay_epoch

    def root(epoch: int) -> bytes:
        state = replay_epoch(EventSource(city.system), epoch).state
        if buggy:
            first, *rest = state.residents
            state = replace(state, residents=(replace(first, credit=first.credit + 1), *rest))
        return state_root(state)

    return root


def period_verified(city: City) -> None:
    """Five residents' workers verify period 1; four agree, Eli's disagrees and earns nothing."""
    from credit.verify.worker import BallotStore, Worker

    ana, bo, chen, _dara, eli, fang = city.residents
    epoch = VERIFIED_PERIOD
    verifiers = [ana, bo, chen, fang, eli]
    reader = _client(city)
    windows = reader.windows(epoch)
    if city.now() < windows.commit_opens:
        city.advance(windows.commit_opens + MARGIN - city.now())
    with tempfile.TemporaryDirectory(prefix="demo-ballots-") as ballots:
        store = BallotStore(Path(ballots))  # the residents' salts, kept until revealed

        def run(p: Person) -> Any:
            worker = Worker(
                _client(city, p),
                _root_of(city, buggy=p is eli),
                store,
                finalize=p is ana,
                timeout=0,  # stop at the next wait: the demo moves the clock, then runs it again
            )
            try:
                return worker.run(epoch)
            except VerifyError:
                return None

        for p in verifiers:  # commit, then wait for the reveal window
            run(p)
        city.advance(windows.reveal_opens + MARGIN - city.now())
        for p in verifiers:  # resume from the ballot file: reveal
            run(p)
        city.advance(windows.reveal_closes + MARGIN - city.now())
        report = run(ana)  # after the reveal window: finalise and credit the verifiers
    tally = reader.tally(epoch)
    if report is None or report.outcome != "FINALIZED" or tally.unsettled:
        raise VerifyError(f"the demo's period {epoch} was not verified and settled: {report}")
    agreed = [p.name for p in verifiers if p is not eli]
    city.say(
        f"Period {epoch} verified by {len(verifiers)} residents' computers: "
        f"{', '.join(agreed)} agreed on root 0x{tally.root.hex()[:12]}… and earned verification "
        f"credit; {eli.name}'s worker had a bug, revealed another root and earned nothing"
    )


def open_period_message(system: System) -> str | None:
    """Which period a visitor can verify now (its commit window is open on the chain's clock),
    in a sentence; None when no verifier is deployed or no commit window is open."""
    if "EpochVerifier" not in system.record.contracts:
        return None
    reader = verifier_client(system)
    now = reader.now()
    epoch = int(system.ledger.functions.currentEpoch().call()) - 1
    if epoch < 0:
        return None
    windows = reader.windows(epoch)
    if not windows.commit_opens <= now < windows.reveal_opens:
        return None
    hours = (windows.reveal_opens - now) // 3600
    return (
        f"Open for verification: period {epoch} (its commit window closes in {hours} h of chain "
        "time): sign in as a resident and open 'Verify the ledger'"
    )


def open_for_verification(city: City) -> None:
    """Says which period the visitor can verify from the browser: its commit window is open."""
    message = open_period_message(city.system)
    if message is None:
        raise VerifyError(
            f"the demo's story should end inside period {city.epoch() - 1}'s commit window, but "
            f"the chain's clock is at {city.now()}: check the verifier's windows"
        )
    city.say(message)
