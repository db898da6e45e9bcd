"""Proving and verifying with snarkjs (node): the committed circuit, zkey and verification key.

The artefacts live in ``zk/credit_at_least/`` (written by ``scripts/zk_ceremony.mjs``). snarkjs runs
as a subprocess of node; nothing here touches a chain.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from credit.zk.errors import ProofError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = PROJECT_ROOT / "zk" / "credit_at_least"
WASM = ARTEFACTS / "credit_at_least.wasm"
ZKEY = ARTEFACTS / "credit_at_least.zkey"
VKEY = ARTEFACTS / "verification_key.json"
SNARKJS = PROJECT_ROOT / "node_modules" / ".bin" / "snarkjs"


def _run(args: list[str], timeout: float) -> str:
    if shutil.which("node") is None or not SNARKJS.exists():
        raise ProofError("proving needs Node.js and snarkjs: run `make install` (or `npm ci`)")
    try:
        done = subprocess.run(
            [str(SNARKJS), *args], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise ProofError(
            f"snarkjs took over {timeout:.0f} s: try again on a less busy machine"
        ) from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout)[-500:]
        raise ProofError(f"snarkjs {args[0]} {args[1]} failed: {said}")
    return done.stdout


def prove(
    circuit_input: dict[str, Any], *, timeout: float = 300
) -> tuple[dict[str, Any], list[str]]:
    """A Groth16 proof of ``circuit_input``: (proof JSON, public signals)."""
    with tempfile.TemporaryDirectory(prefix="credit-zk-") as tmp:
        d = Path(tmp)
        (d / "input.json").write_text(json.dumps(circuit_input))
        _run(
            [
                "groth16",
                "fullprove",
                str(d / "input.json"),
                str(WASM),
                str(ZKEY),
                str(d / "proof.json"),
                str(d / "public.json"),
            ],
            timeout,
        )
        proof: dict[str, Any] = json.loads((d / "proof.json").read_text())
        public: list[str] = json.loads((d / "public.json").read_text())
    return proof, public


def verify(proof: dict[str, Any], public: list[str], *, timeout: float = 120) -> bool:
    """Whether ``proof`` verifies for ``public`` under the ceremony's verification key."""
    with tempfile.TemporaryDirectory(prefix="credit-zk-") as tmp:
        d = Path(tmp)
        (d / "proof.json").write_text(json.dumps(proof))
        (d / "public.json").write_text(json.dumps(public))
        try:
            out = _run(
                ["groth16", "verify", str(VKEY), str(d / "public.json"), str(d / "proof.json")],
                timeout,
            )
        except ProofError as err:
            if "Invalid proof" in str(err):
                return False
            raise
    return "OK!" in out
