"""``credit audit`` against a real node (anvil): exit codes, reports on disk, cache, --json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from credit.artifacts import Artifact
from credit.chain import rpc_web3
from credit.cli import main
from credit.ruleset import DEFAULT_RULESET, RuleSet
from tests.audit.test_notices import gateway_export
from tests.support.anvil import anvil
from tests.support.ledger_flows import credit, relay_violation
from tests.support.world import World, build_world


@pytest.fixture(scope="module")
def node(
    artifacts: dict[str, Artifact], ruleset: RuleSet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[World, str, Path]]:
    """A city on anvil with a few records, its URL and its deployment file."""
    with anvil() as url:
        world = build_world(rpc_web3(url), artifacts, ruleset)
        for resident in world.residents[:3]:
            credit(world, resident)
        relay_violation(world, world.residents[0])
        world.advance(2 * 86400)
        path = tmp_path_factory.mktemp("deploy") / "anvil.json"
        world.system.record.save(path)
        yield world, url, path


def _args(url: str, deployment: Path, *more: str) -> list[str]:
    return ["audit", "--rpc-url", url, "--deployment", str(deployment), *more]


def test_a_clean_chain_exits_0_and_writes_both_reports(
    node: tuple[World, str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url, deployment = node
    out = tmp_path / "report"
    code = main(
        _args(
            url,
            deployment,
            "--rules",
            str(DEFAULT_RULESET),
            "--out",
            str(out),
            "--cache",
            str(tmp_path / "cache"),
        )
    )
    assert code == 0, capsys.readouterr().out
    assert "Clean" in capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    assert report["clean"] and report["summary"]["records_credited"] == 3
    assert (out / "report.html").read_text().count("<svg") == 5
    code = main(_args(url, deployment, "--cache", str(tmp_path / "cache"), "--json"))
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed["replay"]["pages"] == 0  # everything came from the cache
    assert printed["warnings"]  # no rule-set file this time


def test_a_tampered_notices_export_exits_1_naming_the_notice(
    node: tuple[World, str, Path],
    ruleset: RuleSet,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world, url, deployment = node
    export = json.loads(gateway_export(world, ruleset, tmp_path))  # the gateway's own export
    notices = export["notices"]
    assert notices
    gone = notices.pop()
    exported = tmp_path / "notices.json"
    exported.write_text(json.dumps(export))
    code = main(
        _args(
            url, deployment, "--rules", str(DEFAULT_RULESET), "--notices", str(exported), "--json"
        )
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["summary"]["by_code"] == {"notices.missing": 1}
    assert report["notices"]["missing"] == [gone["id"]]


@pytest.mark.parametrize(
    "problem",
    [
        pytest.param("missing-file", id="missing-deployment-file"),
        pytest.param("bad-deployment", id="not-a-deployment-file"),
        pytest.param("no-node", id="nothing-at-the-url"),
        pytest.param("bad-notices", id="notices-not-json"),
        pytest.param("bad-rules", id="rules-invalid"),
    ],
)
def test_usage_errors_exit_2(node: tuple[World, str, Path], tmp_path: Path, problem: str) -> None:
    _, url, deployment = node
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    args = {
        "missing-file": _args(url, tmp_path / "nope.json"),
        "bad-deployment": _args(url, junk),
        "no-node": _args("http://127.0.0.1:9", deployment),
        "bad-notices": _args(url, deployment, "--notices", str(junk)),
        "bad-rules": _args(url, deployment, "--rules", str(junk)),
    }[problem]
    assert main(args) == 2
