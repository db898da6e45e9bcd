"""Operators: deploy to eth-tester and to anvil, re-deploy, chain-id guard, CSV import, status."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from credit.artifacts import Artifact
from credit.chain import Transactor, rpc_web3
from credit.chain.deploy import decoder_for
from credit.errors import ChainError, CreditError
from credit.ops.admin import read_resident_csv, register_residents, status
from credit.ops.deploy import deploy
from credit.ops.networks import Network, connect, operator_account
from credit.ruleset import RuleSet
from credit.settings import Settings
from tests.support.anvil import anvil


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var")


@pytest.fixture(scope="module")
def anvil_url() -> Iterator[str]:
    with anvil() as url:
        yield url


def _deploy(w3, network, settings, artifacts, ruleset, directory, **kw):  # type: ignore[no-untyped-def]
    account = operator_account(w3, network, settings)
    roles = {"REGISTRAR_ROLE": [account.address]}
    return account, deploy(
        w3, account, artifacts, ruleset, network, settings, roles=roles, directory=directory, **kw
    )


def test_embedded_deploy_is_idempotent_and_persists(
    settings: Settings, artifacts: dict[str, Artifact], ruleset: RuleSet, tmp_path: Path
) -> None:
    net = Network("embedded", dev=True)
    w3 = connect(net, settings)
    _, first = _deploy(w3, net, settings, artifacts, ruleset, tmp_path)
    assert first.status == "deployed" and first.total_gas > 0
    saved = json.loads((tmp_path / "embedded.json").read_text())
    assert saved["chain_id"] == w3.eth.chain_id
    assert set(saved["contracts"]) == {"RuleBook", "CreditLedger"}
    assert saved["compiler"].startswith("0.8.28")
    # v1 carries a URI where its document is served, and the bytes behind it are kept
    book = w3.eth.contract(saved["contracts"]["RuleBook"]["address"], abi=artifacts["RuleBook"].abi)
    terms, uri, _, _ = book.functions.ruleSet(1).call()
    assert uri == "http://localhost:8000/v1/public/rule-sets/1/document"
    kept = settings.rule_documents() / f"0x{ruleset.content_hash().hex()}.json"
    assert kept.read_bytes() == ruleset.canonical_json() and terms[0] == ruleset.content_hash()
    block = w3.eth.block_number
    # a new process (a new connection to the same chain file) finds it and does nothing
    w3_again = connect(net, settings)
    _, second = _deploy(w3_again, net, settings, artifacts, ruleset, tmp_path)
    assert second.status == "exists" and second.steps == []
    assert w3_again.eth.block_number == block


def test_dry_run_sends_nothing(
    settings: Settings, artifacts: dict[str, Artifact], ruleset: RuleSet, tmp_path: Path
) -> None:
    net = Network("embedded", dev=True)
    w3 = connect(net, settings)
    account = operator_account(w3, net, settings)
    block = w3.eth.block_number
    plan = deploy(w3, account, artifacts, ruleset, net, settings, dry_run=True, directory=tmp_path)
    assert plan.status == "planned"
    assert [s for s, _ in plan.steps][:2] == ["deploy RuleBook", "deploy CreditLedger"]
    assert all(gas > 21_000 for _, gas in plan.steps)
    assert w3.eth.block_number == block and not (tmp_path / "embedded.json").exists()


def test_anvil_deploy_then_chain_id_mismatch_is_refused(
    anvil_url: str,
    settings: Settings,
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    tmp_path: Path,
) -> None:
    net = Network("anvil", rpc_url=anvil_url, chain_id=31337, dev=True)
    w3 = connect(net, settings)
    _, outcome = _deploy(w3, net, settings, artifacts, ruleset, tmp_path)
    assert outcome.status == "deployed"
    assert w3.eth.get_code(outcome.record.contracts["CreditLedger"].address)  # type: ignore[union-attr]
    _, again = _deploy(w3, net, settings, artifacts, ruleset, tmp_path)
    assert again.status == "exists"
    # the file says 31337; a node with another chain id is refused before anything is sent
    with anvil("--chain-id", "4242") as other_url:
        other = rpc_web3(other_url)
        with pytest.raises(ChainError, match="chain id"):
            _deploy(other, net, settings, artifacts, ruleset, tmp_path)
        with pytest.raises(ChainError, match="expected 31337"):
            connect(Network("anvil", rpc_url=other_url, chain_id=31337, dev=True), settings)


def test_csv_with_a_bad_line_changes_nothing(
    settings: Settings, artifacts: dict[str, Artifact], ruleset: RuleSet, tmp_path: Path
) -> None:
    net = Network("embedded", dev=True)
    w3 = connect(net, settings)
    account, _outcome = _deploy(w3, net, settings, artifacts, ruleset, tmp_path)
    from credit.ops.deploy import load_existing

    system = load_existing(w3, tmp_path / "embedded.json", artifacts)
    assert system is not None
    good = [Account.create().address for _ in range(3)]
    bad = tmp_path / "bad.csv"
    bad.write_text("address\n" + "\n".join([good[0], good[1], "0x123", good[2]]) + "\n")
    is_reg = lambda a: system.ledger.functions.isResident(a).call()  # noqa: E731
    with pytest.raises(CreditError, match=r"line 4: '0x123'") as exc:
        read_resident_csv(bad, is_reg)
    assert "nothing was registered" in str(exc.value)
    assert not any(is_reg(a) for a in good)
    with_names = tmp_path / "names.csv"
    with_names.write_text(f"address,name\n{good[0]},Ana\n")
    with pytest.raises(CreditError, match="addresses only"):
        read_resident_csv(with_names, is_reg)
    ok = tmp_path / "ok.csv"
    ok.write_text("address\n" + "\n".join(good) + "\n")
    tx = Transactor(w3, account, decoder_for(artifacts), gas=3_000_000)
    done: list[int] = []
    register_residents(system, tx, read_resident_csv(ok, is_reg), done.append)
    assert sum(done) == 3 and all(is_reg(a) for a in good)
    with pytest.raises(CreditError, match="already registered"):
        read_resident_csv(ok, is_reg)
    summary = status(system)
    assert summary["counts"]["residents"] == 3
    assert summary["rules"]["in_force"] == 1
    assert account.address in summary["roles"]["CreditLedger.REGISTRAR_ROLE"]
