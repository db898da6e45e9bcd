"""``docs/integrate.md`` runs: its ``js`` blocks, joined in order, drive a real gateway.

Node runs the page's code with the pinned npm ``ethers`` and ``siwe`` against the gateway served
by uvicorn on a loopback port, over the embedded chain, with its relay running: a resident signs
in, signs and submits a claim, a superior and a peer confirm it, and the claim is credited on the
ledger. A page that no longer works fails this test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from credit.gateway.app import create_app
from credit.gateway.services import Services
from tests.support.live_server import served
from tests.support.relay_helpers import wire_relay
from tests.support.world import World

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "integrate.md"
BLOCK = re.compile(r"^```js\n(.*?)^```", re.MULTILINE | re.DOTALL)

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules" / "ethers").is_dir(),
    reason="needs node and `npm ci` (ethers, siwe)",
)


def doc_script() -> str:
    """The page's ``js`` blocks, in order, as one ES module."""
    blocks = BLOCK.findall(DOC.read_text())
    assert len(blocks) >= 5, "docs/integrate.md lost its code blocks"
    return "\n".join(blocks)


@pytest.fixture
def app(services: Services) -> Iterator[FastAPI]:
    wire_relay(services)
    yield create_app(services)


def test_the_integration_walk_through_runs(app: FastAPI, gateway_world: World) -> None:
    w = gateway_world
    script = ROOT / "node_modules" / ".integrate-doc.mjs"  # beside the packages it imports
    script.write_text(doc_script())
    keys = {"RESIDENT_KEY": w.residents[0].key, "SUPERIOR_KEY": w.superior.key}
    keys["PEER_KEY"] = w.residents[1].key
    env = {k: "0x" + bytes(v).hex() for k, v in keys.items()}
    try:
        with served(app) as url:
            run = subprocess.run(
                ["node", str(script)],
                env={**os.environ, **env, "GATEWAY": url},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
    finally:
        script.unlink()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "is waiting" in run.stdout
    assert re.search(r"claim 0x[0-9a-f]{64}: credited, \d+ points", run.stdout), run.stdout
