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


def test_csv_accepts_any_unambiguous_case_and_refuses_a_bad_checksum(tmp_path: Path) -> None:
    """Spreadsheets export addresses in lowercase: accepted, checksummed before any node call;
    a mixed-case address whose EIP-55 checksum is wrong is a typo, refused with its line."""
    good = [Account.create().address for _ in range(3)]
    asked: list[str] = []
    rows = [good[0], good[1].lower(), "0X" + good[2][2:].upper()]
    ok = tmp_path / "ok.csv"
    ok.write_text("address\n" + "\n".join(rows) + "\n")
    assert read_resident_csv(ok, lambda a: asked.append(a) or False) == good
    assert asked == good  # the node only ever sees checksummed addresses
    typo = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"  # EIP-55's example, last letter flipped
    bad = tmp_path / "bad.csv"
    bad.write_text(f"address\n{good[1].lower()}\n{good[1]}\n{typo}\n")
    with pytest.raises(CreditError) as exc:
        read_resident_csv(bad, lambda a: False)
    assert "line 3" in str(exc.value) and "duplicate of line 2" in str(exc.value)
    assert f"line 4: '{typo}': mixed case but not a valid EIP-55 checksum" in str(exc.value)


def test_a_named_network_moves_to_another_node_and_urls_alone_are_production() -> None:
    from credit.ops.networks import network_for, resolve_network

    moved = resolve_network("anvil", "http://127.0.0.1:9999", None)
    assert (moved.name, moved.rpc_url, moved.chain_id, moved.dev) == (
        "anvil",
        "http://127.0.0.1:9999",
        31337,
        True,
    )
    assert not resolve_network(None, "http://node:8545", 5).dev
    assert resolve_network(None, "http://node:8545", 5, dev=True).dev
    from_env = network_for(Settings(network="anvil", chain="http://127.0.0.1:7777"))
    assert (from_env.name, from_env.rpc_url) == ("anvil", "http://127.0.0.1:7777")
    with pytest.raises(CreditError, match="embedded chain"):
        resolve_network("embedded", "http://node:8545", None)


def test_operator_commands_never_sign_with_the_gateways_key_on_production(
    anvil_url: str, tmp_path: Path
) -> None:
    from credit.settings import DEV_OPERATOR_KEY, DEV_RELAYER_KEY

    prod = Network("rpc-31337", rpc_url=anvil_url, chain_id=31337)
    settings = Settings(data_dir=tmp_path, relayer_key=DEV_RELAYER_KEY)
    with pytest.raises(CreditError, match="counts as production unless --dev"):
        operator_account(rpc_web3(anvil_url), prod, settings)
    dev = operator_account(
        rpc_web3(anvil_url), Network("anvil", anvil_url, 31337, dev=True), settings
    )
    assert dev.address == Account.from_key(DEV_OPERATOR_KEY).address
