"""docs/operations.md's walk-through, run as written: the fenced ``sh`` blocks of its section
"From nothing to a running city", in order, with bash, against a real anvil and a real
``credit serve`` (both started by the doc's own commands, in a process group of their own that
is killed afterwards). A command changed in the doc changes what this test runs."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.anvil import ANVIL, free_port

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "operations.md"
SECTION = "## From nothing to a running city: a walk-through on anvil"
# the operator's path, in the order the issue asks the doc to follow it
STEPS = [
    "credit keys new",
    "credit fund",
    "credit deploy --dry-run --admin",
    "credit deploy --admin",
    "credit roles grant",
    "credit residents register",
    "credit serve",
    "credit status",
    "credit audit",
]


def walkthrough_blocks(text: str) -> list[str]:
    """The ``sh`` blocks of the walk-through section, in order."""
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end if end != -1 else len(text)]
    return re.findall(r"^```sh\n(.*?)^```", section, flags=re.S | re.M)


def test_the_walkthrough_follows_the_operators_path() -> None:
    script = "\n".join(walkthrough_blocks(DOC.read_text(encoding="utf-8")))
    where = [script.find(step) for step in STEPS]
    assert -1 not in where, [s for s, w in zip(STEPS, where, strict=True) if w == -1]
    assert where == sorted(where), "the doc's steps are out of the operator's order"


def _shims(directory: Path) -> Path:
    """``credit`` (this checkout's code, whatever venv is installed) and ``anvil`` on PATH."""
    directory.mkdir()
    credit = directory / "credit"
    credit.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m credit "$@"\n', encoding="utf-8")
    credit.chmod(0o755)
    (directory / "anvil").symlink_to(ANVIL)
    return directory


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group ended already
        os.killpg(pgid, signal.SIGKILL)


@pytest.mark.timeout(900)
def test_the_walkthrough_runs_as_written(tmp_path: Path) -> None:
    if not ANVIL.exists():
        pytest.fail(f"{ANVIL} is missing: run `npm ci`")
    if shutil.which("curl") is None:
        pytest.fail("the walk-through waits for its servers with curl: install curl")
    script = "\n".join(walkthrough_blocks(DOC.read_text(encoding="utf-8")))
    city = tmp_path / "city"
    city.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDIT_")}
    env.update(
        PATH=f"{_shims(tmp_path / 'bin')}:{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
        ANVIL_PORT=str(free_port()),
        PORT=str(free_port()),
    )
    transcript = tmp_path / "transcript.txt"  # a file: background jobs may keep it open
    with transcript.open("w", encoding="utf-8") as sink:
        proc = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=city,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # anvil and serve join its group: one kill stops all
        )
        try:
            proc.wait(timeout=840)
        finally:
            _kill_group(proc.pid)
            proc.wait(timeout=10)
    out = transcript.read_text(encoding="utf-8")
    log = city / "serve.log"
    served = log.read_text(encoding="utf-8") if log.exists() else "(no serve.log)"
    assert proc.returncode == 0, f"{out}\n--- serve.log ---\n{served}"

    keys = {
        p.stem: "0x" + json.loads(p.read_text())["address"].lower()
        for p in (city / "keys").glob("*.json")
    }
    record = json.loads((city / "deployments" / "anvil.json").read_text())
    assert record["chain_id"] == 31337 and record["git_commit"]
    # the hand-off: the deployer holds nothing, the admin administers, the minter mints
    roles = {
        line.split(": ", 1)[0]: line.split(": ", 1)[1].lower()
        for line in out.splitlines()
        if re.match(r"^(CreditLedger|RuleBook)\.\w+_ROLE: ", line)
    }
    assert roles, out
    assert all(keys["deployer"] not in holders for holders in roles.values())
    assert keys["admin"] in roles["CreditLedger.DEFAULT_ADMIN_ROLE"]
    assert keys["admin"] in roles["RuleBook.GOVERNOR_ROLE"]
    assert keys["minter"] in roles["CreditLedger.MINTER_ROLE"]
    assert keys["registrar"] in roles["CreditLedger.REGISTRAR_ROLE"]
    assert keys["superior"] in roles["CreditLedger.SUPERIOR_ROLE"]
    assert len(roles["CreditLedger.EXPERT_ROLE"].split(", ")) == 2
    # mixed-case, lowercase and uppercase rows all registered; status in text, not JSON
    assert "ready: 200" in out and "registered 3 residents" in out
    assert "Network anvil (chain 31337)" in out and "residents 3" in out
    assert not any(line.startswith("{") for line in out.splitlines())
    assert "Clean:" in out, out
    assert "warning:" not in served + out  # every gateway key funded, the minter may mint
