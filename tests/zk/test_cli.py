"""``credit zk prove`` and ``credit zk verify`` on files, through ``main(argv)``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from credit.cli import main
from credit.zk.identity import identity_commitment
from tests.support.private_proofs import needs_prover

pytestmark = needs_prover
GATE = "0x" + "ab" * 20


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("zk-cli")
    secret = 777
    leaves = [
        {"commitment": str(identity_commitment(secret)), "credit": "60"},
        {"commitment": "12345", "credit": "10"},
    ]
    (d / "leaves.json").write_text(json.dumps(leaves))
    (d / "secret").write_text(f"{secret}\n")
    out = d / "proof.json"
    args = ["zk", "prove", "--leaves", str(d / "leaves.json"), "--epoch", "3", "--gate", GATE]
    args += ["--label", "city library: credit >= 50", "--threshold", "50", "--chain-id", "31337"]
    args += ["--recipient", "0x" + "cd" * 20, "--secret-file", str(d / "secret"), "--out", str(out)]
    assert main(args) == 0
    return out


def test_a_proof_bundle_verifies(bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["zk", "verify", str(bundle)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] and report["scope_matches_gate"]
    assert report["threshold"] == 50 and report["epoch"] == 3
    assert report["recipient"] == "0x" + "cd" * 20


@pytest.mark.parametrize(
    ("change", "why"),
    [
        pytest.param({"label": "transport"}, "scope_matches_gate", id="another-gate"),
        pytest.param({"threshold_signal": "40"}, "proof_verifies", id="altered-threshold"),
    ],
)
def test_an_altered_bundle_fails(
    bundle: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, str],
    why: str,
) -> None:
    data = json.loads(bundle.read_text())
    if "label" in change:
        data["label"] = change["label"]
    else:
        data["public"][1] = change["threshold_signal"]
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["zk", "verify", str(altered)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report[why] is False


def test_below_threshold_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "leaves.json").write_text(
        json.dumps([{"commitment": str(identity_commitment(5)), "credit": "3"}])
    )
    (tmp_path / "secret").write_text("5")
    args = ["zk", "prove", "--leaves", str(tmp_path / "leaves.json"), "--epoch", "1"]
    args += ["--gate", GATE, "--label", "x", "--threshold", "50", "--chain-id", "1"]
    args += ["--recipient", GATE, "--secret-file", str(tmp_path / "secret")]
    assert main(args) == 1
    assert "below the gate's 50" in capsys.readouterr().out
