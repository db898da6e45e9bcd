"""The verifier worker a resident runs with their own key: one epoch of commit-reveal.

For epoch E it waits (on the chain's clock) for E's commit window, replays E from the chain and
computes the state root, draws a random salt and keeps root and salt in a local ballot file
*before* committing (so a crash between the two never loses the means to reveal), commits, waits
for the reveal window, reveals, and optionally settles the epoch after the reveal window
(finalises it and pushes crediting pages: :func:`credit.verify.settle.settle_epoch`). Restarted, it
resumes from the chain (``ballotOf``) and the ballot file. The root function is injected, so the
worker itself never decides what is true.

Further roots of the same epoch (the Poseidon credit root of private proofs, on its own
EpochVerifier instance) ride along as tracks (:class:`Track`): each phase (commit, reveal,
settle) runs for the main root first, then for every track, with the same ballot files (keyed by
verifier address), the same resumption and the same errors. One difference: a track whose commit
window closed before this resident committed to it is skipped with a note instead of failing the
run, so a resident who starts verifying a track mid-epoch still reveals the main root; so is a
track's lost ballot file.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, asdict, dataclass, field
from pathlib import Path

from credit.chain.verifier import Outcome, VerifierClient, commitment_of
from credit.verify.errors import VerifyError
from credit.verify.settle import settle_epoch

RootFn = Callable[[int], bytes]


@dataclass(frozen=True)
class Track:
    """A further root a resident commit-reveals for each epoch beside the main one."""

    name: str  # e.g. "poseidon": the key of its report in ``EpochReport.tracks``
    client: VerifierClient  # on the track's own EpochVerifier instance
    root_of: RootFn


@dataclass(frozen=True)
class Ballot:
    """What a resident must keep between commit and reveal (hex strings)."""

    verifier: str
    epoch: int
    resident: str
    root: str
    salt: str
    commitment: str


class BallotStore:
    """Ballot files in ``directory``, one per (verifier, epoch, resident), owner-readable only."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, verifier: str, epoch: int, resident: str) -> Path:
        return self.directory / f"{verifier.lower()}-{epoch}-{resident.lower()}.json"

    def load(self, verifier: str, epoch: int, resident: str) -> Ballot | None:
        path = self.path(verifier, epoch, resident)
        if not path.exists():
            return None
        return Ballot(**json.loads(path.read_text(encoding="utf-8")))

    def save(self, ballot: Ballot) -> None:
        """Write atomically (temp, fsync, rename), mode 0600: the salt is secret until revealed."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(ballot.verifier, ballot.epoch, ballot.resident)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(asdict(ballot), f, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


@dataclass
class EpochReport:
    """What the worker did for one epoch (JSON-safe)."""

    epoch: int
    resident: str
    root: str | None = None
    committed: bool = False
    revealed: bool = False
    finalized_by_me: bool = False
    outcome: str = Outcome.OPEN.name
    final_root: str | None = None
    pages_pushed: int = 0  # crediting pages this worker pushed
    credited_by_me: int = 0  # winners those pages paid
    unsettled: int = 0  # winners no page has settled yet
    notes: list[str] = field(default_factory=list)
    tracks: dict[str, EpochReport] = field(default_factory=dict)  # further roots, by track name


@dataclass
class _Leg:
    """One root's commit-reveal within a run."""

    client: VerifierClient
    root_of: RootFn
    report: EpochReport
    label: str  # "" for the main root, else "<track> " (for messages)
    ballot: Ballot | None = None
    revealed: bool = False


@dataclass(eq=False)
class Worker:
    """Runs commit-reveal for the resident whose key ``client`` sends from."""

    client: VerifierClient
    root_of: RootFn
    store: BallotStore
    _: KW_ONLY
    finalize: bool = False
    poll_seconds: float = 1.0
    timeout: float | None = None
    say: Callable[[str], None] = lambda _msg: None
    tracks: Sequence[Track] = ()

    def next_epoch(self, current_epoch: int) -> int:
        """The epoch to verify now: the previous one while its commit window is open, else this."""
        if (
            current_epoch > 0
            and self.client.now() < self.client.windows(current_epoch - 1).reveal_opens
        ):
            return current_epoch - 1
        return current_epoch

    def run(self, epoch: int) -> EpochReport:
        """Commit, reveal and maybe finalise ``epoch`` (each track too); resumes where an earlier
        run stopped."""
        me = self.client.resident.lower()
        main = _Leg(self.client, self.root_of, EpochReport(epoch, me), "")
        legs = [main] + [
            _Leg(t.client, t.root_of, EpochReport(epoch, me), f"{t.name} ") for t in self.tracks
        ]
        for t, leg in zip(self.tracks, legs[1:], strict=True):
            main.report.tracks[t.name] = leg.report
        active = [leg for leg in legs if self._commit_phase(epoch, leg, optional=leg is not main)]
        for leg in active:
            self._reveal_phase(epoch, leg)
        if self.finalize:
            for leg in active:
                self._settle_phase(epoch, leg)
        for leg in legs:
            tally = leg.client.tally(epoch)
            leg.report.outcome = tally.outcome.name
            leg.report.unsettled = tally.unsettled
            if tally.outcome is Outcome.FINALIZED:
                leg.report.final_root = "0x" + tally.root.hex()
        return main.report

    def _commit_phase(self, epoch: int, leg: _Leg, *, optional: bool) -> bool:
        """Commit ``leg``'s root unless done; False when an optional leg missed its window."""
        client, me = leg.client, leg.report.resident
        windows = client.windows(epoch)
        ballot = self.store.load(client.address, epoch, me)
        committed, leg.revealed = client.ballot(epoch, me)
        if not committed:
            if client.now() >= windows.reveal_opens:
                of = f" ({leg.label}root)" if leg.label else ""
                message = f"the commit window of epoch {epoch}{of} closed at {windows.reveal_opens}"
                if optional:
                    leg.report.notes.append(message + ": not verified this epoch")
                    return False
                raise VerifyError(message + ": verify a later epoch")
            self._wait_until(windows.commit_opens, f"the commit window of epoch {epoch}")
            ballot = self._commit(epoch, leg)
        elif ballot is None:
            message = (
                f"you committed to epoch {epoch}'s {leg.label}root but its ballot file is missing "
                f"from {self.store.directory}: without the salt the commitment cannot be revealed"
            )
            if optional:  # the main root still counts: say so and carry on
                leg.report.committed = True
                leg.report.notes.append(message)
                return False
            raise VerifyError(message)
        leg.ballot = ballot
        leg.report.root, leg.report.committed = ballot.root, True
        return True

    def _reveal_phase(self, epoch: int, leg: _Leg) -> None:
        ballot = leg.ballot
        assert ballot is not None  # set by _commit_phase for every active leg
        if not leg.revealed:
            windows = leg.client.windows(epoch)
            self._wait_until(windows.reveal_opens, f"the reveal window of epoch {epoch}")
            leg.client.reveal(epoch, bytes.fromhex(ballot.root[2:]), bytes.fromhex(ballot.salt[2:]))
            self.say(f"revealed {leg.label}root {ballot.root} for epoch {epoch}")
        leg.report.revealed = True

    def _settle_phase(self, epoch: int, leg: _Leg) -> None:
        windows = leg.client.windows(epoch)
        self._wait_until(windows.reveal_closes, f"the end of epoch {epoch}'s reveal window")
        done = settle_epoch(leg.client, epoch, say=self.say)
        report = leg.report
        report.finalized_by_me = done.finalized_by_me
        report.pages_pushed, report.credited_by_me = done.pages_pushed, done.credited_by_me
        report.notes += done.notes

    def _commit(self, epoch: int, leg: _Leg) -> Ballot:
        client, me = leg.client, leg.report.resident
        root = leg.root_of(epoch)
        salt = secrets.token_bytes(32)
        commitment = commitment_of(root, salt, client.resident)
        ballot = Ballot(
            client.address.lower(),
            epoch,
            me,
            "0x" + root.hex(),
            "0x" + salt.hex(),
            "0x" + commitment.hex(),
        )
        self.store.save(ballot)  # before the commit: a crash after it must still be able to reveal
        client.commit(epoch, commitment)
        self.say(f"committed to epoch {epoch}'s {leg.label}root (revealed later)")
        return ballot

    def _wait_until(self, at: int, what: str) -> None:
        """Poll the chain's clock until ``at``; gives up after ``timeout`` seconds of wall time."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        announced = False
        while self.client.now() < at:
            if deadline is not None and time.monotonic() > deadline:
                raise VerifyError(f"gave up waiting for {what} (opens at {at}): run again later")
            if not announced:
                self.say(f"waiting for {what} (opens at {at})")
                announced = True
            time.sleep(self.poll_seconds)
