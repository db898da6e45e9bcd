"""After an ``--admin`` hand-off the deployer holds no role on any contract (issue 14, finding 6).

Every role of every deployed contract is read from the compiled ABIs (``*_ROLE`` constants and
DEFAULT_ADMIN_ROLE), its holders rebuilt from RoleGranted / RoleRevoked and each one confirmed with
``hasRole``; a role added to a contract fails these tests until someone says who holds it. Key
plans that would leave a hot key in charge are refused before anything is sent, and the gateway
refuses to run with a key that administers the system.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from credit.artifacts import Artifact
from credit.chain import Transactor, deploy_system, embedded_web3, fund, rpc_web3
from credit.chain.deploy import ROLE_NAMES, System, decoder_for
from credit.errors import ContractRevert, CreditError
from credit.ruleset import RuleSet
from credit.settings import Settings
from tests.support.anvil import anvil

KEYS = ("deployer", "admin", "governor", "registrar", "minter", "relayer")
ACCOUNTS = {n: Account.from_key((4_200 + i).to_bytes(32, "big")) for i, n in enumerate(KEYS)}
K = {n: a.address for n, a in ACCOUNTS.items()}
ZERO = "0x" + "00" * 20


@pytest.fixture
def keys() -> dict[str, Any]:
    return ACCOUNTS


def _roles_in_abi(abi: list[dict[str, Any]]) -> list[str]:
    """The ABI's roles: AccessControl's DEFAULT_ADMIN_ROLE and every ``*_ROLE`` constant."""
    fns = [i for i in abi if i.get("type") == "function"]
    if not any(f["name"] == "hasRole" for f in fns):
        return []
    return sorted(
        f["name"]
        for f in fns
        if f["name"].endswith("_ROLE")
        and not f["inputs"]
        and [o["type"] for o in f["outputs"]] == ["bytes32"]
    )


def _holders(w3: Web3, system: System, extra: list[str]) -> dict[str, set[str]]:
    """``{"Contract.ROLE": holders}`` for every role of every deployed contract, from the events,
    each holder (and each account in ``extra``) checked with ``hasRole``."""
    contracts = {"RuleBook": system.rule_book, "CreditLedger": system.ledger}
    assert set(contracts) == set(system.record.contracts)
    out: dict[str, set[str]] = {}
    for name, contract in contracts.items():
        roles = _roles_in_abi(contract.abi)
        assert "DEFAULT_ADMIN_ROLE" in roles, name
        ids = {bytes(contract.functions[r]().call()): r for r in roles}  # the contract's own ids
        held: dict[str, set[str]] = {r: set() for r in roles}
        logs = [
            (log["blockNumber"], log["logIndex"], event, log["args"])
            for event in ("RoleGranted", "RoleRevoked")
            for log in contract.events[event]().get_logs(from_block=0)
            if log["address"] == contract.address
        ]
        for _, _, event, args in sorted(logs, key=lambda x: (x[0], x[1])):
            role = ids[bytes(args["role"])]  # a role id outside the ABI fails here
            (held[role].add if event == "RoleGranted" else held[role].discard)(args["account"])
        seen = {a for _, _, _, args in logs for a in [args["account"]]} | set(extra)
        for role, accounts in held.items():
            on_chain = {
                a
                for a in seen
                if contract.functions.hasRole(contract.functions[role]().call(), a).call()
            }
            assert on_chain == accounts, f"{name}.{role}: events say {accounts}, hasRole {on_chain}"
            out[f"{name}.{role}"] = accounts
    return out


def _deploy(
    keys: dict[str, Any], artifacts: dict[str, Artifact], ruleset: RuleSet, **kw: Any
) -> tuple[Web3, System]:
    w3 = embedded_web3()
    fund(w3, [keys["deployer"].address], 10**21)
    tx = Transactor(w3, keys["deployer"], decoder_for(artifacts), gas=3_000_000)
    return w3, deploy_system(tx, artifacts, ruleset, **kw)


def test_the_role_list_is_the_abi_role_list(artifacts: dict[str, Artifact]) -> None:
    """ROLE_NAMES (what operators may grant on the ledger) is every ledger role but the admin."""
    ledger = _roles_in_abi(artifacts["CreditLedger"].abi)
    assert sorted(ROLE_NAMES) == [r for r in ledger if r != "DEFAULT_ADMIN_ROLE"]
    assert _roles_in_abi(artifacts["RuleBook"].abi) == ["DEFAULT_ADMIN_ROLE", "GOVERNOR_ROLE"]
    assert _roles_in_abi(artifacts["EpochVerifier"].abi) == []  # holds a role, grants none


@pytest.mark.parametrize("separate_governor", [False, True], ids=["governor=admin", "governor"])
def test_after_the_handoff_the_deployer_holds_no_role(
    keys: dict[str, Any],
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    separate_governor: bool,
) -> None:
    k = {n: a.address for n, a in keys.items()}
    extra: dict[str, Any] = {"governor": k["governor"]} if separate_governor else {}
    w3, system = _deploy(
        keys,
        artifacts,
        ruleset,
        roles={"REGISTRAR_ROLE": [k["registrar"]], "MINTER_ROLE": [k["minter"]]},
        admin=k["admin"],
        **extra,
    )
    governor = k["governor"] if separate_governor else k["admin"]
    expected = {f"CreditLedger.{r}": set() for r in ROLE_NAMES} | {
        "RuleBook.DEFAULT_ADMIN_ROLE": {k["admin"]},
        "RuleBook.GOVERNOR_ROLE": {governor},
        "CreditLedger.DEFAULT_ADMIN_ROLE": {k["admin"]},
        "CreditLedger.REGISTRAR_ROLE": {k["registrar"]},
        "CreditLedger.MINTER_ROLE": {k["minter"]},
    }
    assert _holders(w3, system, list(k.values())) == expected
    held_by_deployer = [r for r, a in expected.items() if k["deployer"] in a]
    assert held_by_deployer == []


def test_without_a_handoff_the_deployer_stays_admin_and_governor(
    keys: dict[str, Any], artifacts: dict[str, Artifact], ruleset: RuleSet
) -> None:
    """A dev deployment: documented, and the gateway refuses such a key outside dev chains."""
    k = {n: a.address for n, a in keys.items()}
    w3, system = _deploy(keys, artifacts, ruleset, roles={"REGISTRAR_ROLE": [k["registrar"]]})
    holders = _holders(w3, system, list(k.values()))
    assert holders["RuleBook.GOVERNOR_ROLE"] == {k["deployer"]}
    assert holders["RuleBook.DEFAULT_ADMIN_ROLE"] == {k["deployer"]}
    assert holders["CreditLedger.DEFAULT_ADMIN_ROLE"] == {k["deployer"]}


def _plans(k: dict[str, str]) -> list[Any]:
    return [
        pytest.param(
            {"admin": k["relayer"], "relayer": k["relayer"]}, "relayer key", id="relayer-admin"
        ),
        pytest.param(
            {"admin": k["admin"], "governor": k["relayer"], "relayer": k["relayer"]},
            "relayer key",
            id="relayer-governor",
        ),
        pytest.param(
            {"relayer": k["deployer"]},
            "relayer key would stay admin",
            id="relayer-deployer-no-handoff",
        ),
        pytest.param({"admin": k["deployer"]}, "deploying key itself", id="admin-is-deployer"),
        pytest.param(
            {"admin": k["admin"], "governor": k["deployer"]},
            "deploying key itself",
            id="governor-is-deployer",
        ),
        pytest.param(
            {"admin": k["admin"], "roles": {"REGISTRAR_ROLE": [k["deployer"]]}},
            "keeps no role after the hand-off",
            id="deployer-keeps-a-role",
        ),
        pytest.param(
            {"admin": k["admin"], "roles": {"MINTER_ROLE": [k["admin"]]}},
            "administer only",
            id="admin-operates",
        ),
        pytest.param(
            {"governor": k["governor"]}, "--governor needs --admin", id="governor-without-admin"
        ),
        pytest.param({"admin": "0x" + "00" * 20}, "not a usable address", id="zero-admin"),
        pytest.param({"roles": {"OWNER_ROLE": [k["admin"]]}}, "unknown role", id="unknown-role"),
    ]


@pytest.mark.parametrize(("plan", "message"), _plans(K))
def test_a_plan_leaving_a_hot_key_in_charge_is_refused_before_sending(
    keys: dict[str, Any],
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    plan: dict[str, Any],
    message: str,
) -> None:
    w3 = embedded_web3()
    fund(w3, [keys["deployer"].address], 10**21)
    block = w3.eth.block_number
    tx = Transactor(w3, keys["deployer"], decoder_for(artifacts), gas=3_000_000)
    with pytest.raises(CreditError, match=message):
        deploy_system(tx, artifacts, ruleset, **plan)
    assert w3.eth.block_number == block


@pytest.mark.parametrize(
    ("name", "args", "error"),
    [
        pytest.param(
            "RuleBook", (ZERO, K["admin"], 60), "RuleBookInvalidAccount", id="rulebook-admin"
        ),
        pytest.param("RuleBook", (K["admin"], ZERO, 60), "RuleBookInvalidAccount", id="governor"),
        pytest.param(
            "CreditLedger", (ZERO, K["admin"], 60), "LedgerInvalidAdmin", id="ledger-admin"
        ),
    ],
)
def test_no_contract_is_born_without_an_admin(
    keys: dict[str, Any],
    artifacts: dict[str, Artifact],
    name: str,
    args: tuple[Any, ...],
    error: str,
) -> None:
    """The constructors check what the deploy code checks (a deployment's revert, replayed as a
    call to read its error)."""
    w3 = embedded_web3()
    fund(w3, [keys["deployer"].address], 10**21)
    factory = w3.eth.contract(abi=artifacts[name].abi, bytecode=artifacts[name].bytecode)
    data = factory.constructor(*args).data_in_transaction
    with pytest.raises(ContractRevert) as info:
        try:
            w3.eth.call({"from": keys["deployer"].address, "data": data, "gas": 8_000_000})
        except Exception as exc:
            raise decoder_for(artifacts).from_exception(exc) from exc
    assert (info.value.name, info.value.args) == (error, {next(iter(info.value.args)): ZERO})


# ------------------------------------------------------------------------------ the gateway


@pytest.fixture(scope="module")
def anvil_url() -> Iterator[str]:
    with anvil() as url:
        yield url


@pytest.mark.parametrize("handed_over", [False, True], ids=["relayer-is-admin", "handed-over"])
def test_the_gateway_refuses_a_key_that_administers_the_system(
    anvil_url: str,
    keys: dict[str, Any],
    artifacts: dict[str, Artifact],
    ruleset: RuleSet,
    tmp_path: Path,
    handed_over: bool,
) -> None:
    """A shared (non-dev) network: the relayer key deployed the system; unless it handed the
    admin and governor roles over, the gateway will not start with it."""
    from credit.compose import build_services

    w3 = rpc_web3(anvil_url)
    relayer = Account.create()
    fund(w3, [relayer.address], 10**21)
    tx = Transactor(w3, relayer, decoder_for(artifacts), gas=None)
    admin = keys["admin"].address if handed_over else None
    system = deploy_system(tx, artifacts, ruleset, admin=admin, network="rpc-31337")
    path = tmp_path / "deployment.json"
    system.record.save(path)
    settings = Settings(
        data_dir=tmp_path / "var",
        chain=anvil_url,
        chain_id=31337,
        deployment_file=path,
        relayer_key="0x" + relayer.key.hex(),
    )
    if not handed_over:
        with pytest.raises(CreditError, match=r"relayer key .* holds RuleBook.DEFAULT_ADMIN_ROLE"):
            build_services(settings)
        return
    services = build_services(settings)
    try:
        assert services.relayer.address == relayer.address
    finally:
        services.engine.dispose()


def test_the_cli_hands_over_and_names_the_operational_keys(
    keys: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from credit.cli import main
    from credit.settings import get_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CREDIT_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        k = {n: a.address for n, a in keys.items()}
        refused = ["deploy", "--admin", k["relayer"], "--relayer", k["relayer"], "--json"]
        assert main(refused) == 1
        assert "relayer key" in capsys.readouterr().out
        assert not (tmp_path / "deployments" / "embedded.json").exists()
        argv = ["deploy", "--admin", k["admin"], "--registrar", k["registrar"]]
        argv += ["--minter", k["minter"], "--relayer", k["relayer"], "--json"]
        assert main(argv) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["status"] == "deployed"
        steps = [s["step"] for s in out["steps"]]
        assert "renounce the deployer's GOVERNOR_ROLE of RuleBook" in steps
    finally:
        get_settings.cache_clear()
