"""The worker in-process on eth-tester: salt kept before committing, resuming, late work refused."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from credit.chain.verifier import commitment_of
from credit.verify.errors import VerifyError
from credit.verify.worker import BallotStore, Worker
from tests.verify.rig import Rig, root_of

A = root_of("A")


def _worker(rig: Rig, tmp_path: Path, **kw: object) -> Worker:
    client = rig.client(rig.world.residents[0])
    return Worker(client, lambda _epoch: A, BallotStore(tmp_path), timeout=0, **kw)  # type: ignore[arg-type]


def test_a_crash_after_committing_resumes_with_the_kept_salt(rig: Rig, tmp_path: Path) -> None:
    alice = rig.world.residents[0]
    rig.to_commit(0)
    with pytest.raises(VerifyError, match="gave up waiting for the reveal window"):
        _worker(rig, tmp_path).run(0)  # commits, then "crashes" waiting for the reveal window
    (ballot_file,) = tmp_path.iterdir()
    assert stat.S_IMODE(ballot_file.stat().st_mode) == 0o600
    ballot = json.loads(ballot_file.read_text())
    assert ballot["root"] == "0x" + A.hex()
    salt = bytes.fromhex(ballot["salt"][2:])
    assert rig.client().commitments(0) == {
        alice.address.lower(): commitment_of(A, salt, alice.address)
    }

    rig.to_reveal(0)
    report = _worker(rig, tmp_path).run(0)  # a new process: resumes from chain + ballot file
    assert (report.committed, report.revealed, report.root) == (True, True, "0x" + A.hex())
    assert rig.client().reveals(0) == {alice.address.lower(): A}


def test_a_lost_ballot_file_is_reported(rig: Rig, tmp_path: Path) -> None:
    rig.to_commit(0)
    with pytest.raises(VerifyError):
        _worker(rig, tmp_path).run(0)
    for f in tmp_path.iterdir():
        f.unlink()
    rig.to_reveal(0)
    with pytest.raises(VerifyError, match="ballot file is missing"):
        _worker(rig, tmp_path).run(0)


def test_a_closed_commit_window_is_refused(rig: Rig, tmp_path: Path) -> None:
    rig.to_reveal(0)
    with pytest.raises(VerifyError, match="commit window of epoch 0 closed"):
        _worker(rig, tmp_path).run(0)


def test_the_next_epoch_to_verify(rig: Rig, tmp_path: Path) -> None:
    worker = _worker(rig, tmp_path)
    assert worker.next_epoch(0) == 0  # waits for epoch 0's window (in epoch 1)
    rig.to_commit(0)
    assert worker.next_epoch(1) == 0  # epoch 0's commit window is open
    rig.to_reveal(0)
    assert worker.next_epoch(1) == 1  # too late for epoch 0: the next one
