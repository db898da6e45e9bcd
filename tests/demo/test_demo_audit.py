"""Issue 16: auditors audit the running demo city through its gateway's public ``/rpc``.

On the package's served demo (``credit demo`` in a process of its own, as ``make demo`` runs it):
the command it prints audits it clean while it runs, a tampered input fails that same audit,
``credit status`` and ``credit deploy`` find the demo's deployment, and ``cast`` reads the chain.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.gateway.test_rpc_audit import CAST
from tests.support.demo_server import ROOT, Demo


def _credit(demo: Demo, *args: str) -> subprocess.CompletedProcess[str]:
    """``credit ARGS`` from this worktree (``python -m credit``: the installed ``.venv/bin/credit``
    script would import the package it was installed from, not this checkout)."""
    return subprocess.run(
        [sys.executable, "-m", "credit", *args],
        cwd=ROOT,
        env=demo.env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_printed_command_audits_the_running_demo_clean(demo: Demo) -> None:
    assert f"{demo.url}/rpc" in demo.audit
    done = _credit(demo, *demo.audit)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Clean: the chain agrees with every recomputation." in done.stdout
    assert "warning" not in done.stdout  # the rule-set file's hash was checked too


def test_a_tampered_rule_set_document_fails_the_same_audit(demo: Demo, tmp_path: Path) -> None:
    """The rule-set document one would be handed, one number changed (volunteering worth 20
    points an hour, not 10): its hash is no published version's, over the same RPC."""
    rules = demo.audit[demo.audit.index("--rules") + 1]
    document = json.loads((ROOT / rules).read_text(encoding="utf-8"))
    assert document["categories"][0]["points_per_unit"] == 10
    document["categories"][0]["points_per_unit"] = 20
    tampered = tmp_path / "city-default.json"
    tampered.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    args = [*demo.audit]
    args[args.index("--rules") + 1] = str(tampered)
    done = _credit(demo, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "rules.file_unpublished" in done.stdout and "1 discrepancy" in done.stderr


def test_a_deployment_file_that_misstates_the_chain_fails_the_same_audit(
    demo: Demo, tmp_path: Path
) -> None:
    """A deployment file handed to auditors with a shorter notice period than the rule book
    enforces (rule changes would seem to take effect sooner than they can)."""
    record = dict(demo.deployment)
    record["notice_period"] = int(str(record["notice_period"])) // 2
    lying = tmp_path / "embedded.json"
    lying.write_text(json.dumps(record), encoding="utf-8")
    args = [*demo.audit]
    args[args.index("--deployment") + 1] = str(lying)
    done = _credit(demo, *args)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "deployment.notice_period_mismatch" in done.stdout


def test_credit_status_and_deploy_find_the_demos_deployment(demo: Demo) -> None:
    ledger = demo.deployment["contracts"]["CreditLedger"]["address"]
    status = _credit(demo, "status", "--json")
    assert status.returncode == 0, status.stdout + status.stderr
    assert json.loads(status.stdout)["contracts"]["CreditLedger"]["address"] == ledger
    again = _credit(demo, "deploy", "--json")  # never a second system on the demo's chain
    assert again.returncode == 0, again.stdout + again.stderr
    outcome = json.loads(again.stdout)
    assert outcome["status"] == "exists" and outcome["contracts"]["CreditLedger"] == ledger


def _cast(*args: str) -> str:
    done = subprocess.run([str(CAST), *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"cast {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def test_cast_reads_the_running_demo(demo: Demo) -> None:
    rpc = f"{demo.url}/rpc"
    contracts = demo.deployment["contracts"]
    ledger = contracts["CreditLedger"]
    chain_id = int(_cast("chain-id", "--rpc-url", rpc))
    assert chain_id == demo.deployment["chain_id"]
    head = json.loads(_cast("block", "latest", "--json", "--rpc-url", rpc))
    assert int(head["number"], 16) > ledger["block"] and head["parentHash"].startswith("0x")
    receipt = json.loads(_cast("receipt", ledger["tx_hash"], "--json", "--rpc-url", rpc))
    assert receipt["contractAddress"] == ledger["address"].lower()
    query = ["--from-block", str(ledger["block"]), "--to-block", "latest"]
    query += ["--address", ledger["address"], "--json", "--rpc-url", rpc]
    logs = json.loads(_cast("logs", *query))
    assert len(logs) > 10 and {log["address"] for log in logs} == {ledger["address"].lower()}
