"""Schemathesis 4 with ``--checks all``, as a wallet developer would run it against the gateway.

The CLI runs every phase (examples, coverage, fuzzing, stateful) against the seeded gateway of
``test_schemathesis.py`` served by uvicorn on a loopback port, once anonymously and once with a
signed-in resident's session, with a bounded number of examples per operation and a fixed seed.
Every check must pass: documented statuses and bodies, schema-valid data accepted, schema-invalid
data refused, 405 with the right ``Allow`` for undocumented methods, auth not ignored.
``schemathesis.toml`` beside this file holds the one documented deviation from the defaults.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gateway.test_schemathesis import Seeded, seeded  # noqa: F401 (the fixture)
from tests.support.live_server import served

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = 8  # per operation and phase: ~20 s of CLI per run on a quiet 2-core machine
MIN_CASES = 1_000
CLI = Path(sys.executable).with_name("schemathesis")


def _run(url: str, token: str | None, workdir: Path) -> subprocess.CompletedProcess[str]:
    """The CLI in ``workdir`` (where it keeps its cache), reporting there too."""
    args = [str(CLI), "--config-file", str(CONFIG), "run", f"{url}/openapi.json"]
    args += ["--checks", "all", "--max-examples", str(EXAMPLES), "--seed", "1"]
    args += ["--workers", "1", "--no-shrink", "--report", "ndjson"]
    args += ["--report-ndjson-path", str(workdir / "events.ndjson"), "--no-color"]
    if token:
        args += ["--header", f"Authorization: {token}"]
    return subprocess.run(
        args, cwd=workdir, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize("who", [None, "resident"], ids=["anonymous", "signed-in"])
def test_schemathesis_checks_all_find_nothing(
    seeded: Seeded,  # noqa: F811
    who: str | None,
    tmp_path: Path,
) -> None:
    with served(seeded.app) as url:
        run = _run(url, seeded.tokens[who] if who else None, tmp_path)
    summary = run.stdout[run.stdout.find("SUMMARY") :]
    assert run.returncode == 0, run.stdout[-12_000:] + run.stderr[-2_000:]
    generated = re.search(r"(\d+) generated", summary)
    assert generated and int(generated[1]) >= MIN_CASES, summary  # the run reached every phase
