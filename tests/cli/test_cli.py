"""The operator CLI through its real entry point (``main(argv) -> int``)."""

from __future__ import annotations

import json
import re

import pytest

from credit.cli import main
from credit.ruleset import DEFAULT_RULESET


def test_demo_prints_credit_computed_by_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--no-serve", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    # Ana, Bo, Chen and Fang verified period 1 and agreed: one unit of ledger verification (20)
    # each; Eli's worker revealed another root and earned nothing
    # Ana: 3 h volunteering (10/h) + 2 community-service sessions (15 each) + verification
    assert rows["Ana"]["credit"] == 60 + 20
    # Bo: 2 h volunteering; the littering deduction (-20) was overturned, so restored exactly;
    # months later a community-service session (15); verification
    assert rows["Bo"]["credit"] == 35 + 20
    # week-1 rewards at 0.1 CCR per point; Eli earned only in week 2, so nothing yet
    assert int(rows["Ana"]["reward_wei"]) == 30 * 10**17
    assert int(rows["Eli"]["reward_wei"]) == 0
    # Chen: 10 (week 1) + 20 (months later) - 20 (a littering record in that same period), yet
    # paid on all 30 points earned: violations lower credit, not a period's reward; verification
    assert rows["Chen"]["credit"] == 10 + 20
    assert int(rows["Chen"]["reward_wei"]) == 30 * 10**17
    # Eli's 20 points went to a violation he appealed; the appeal waits for the arbiter; his
    # verification disagreed with the consensus root and earned nothing
    assert rows["Eli"]["credit"] == 0
    # Fang: 4 h volunteering + a civic-feedback submission (5) + verification
    assert rows["Fang"]["credit"] == 40 + 5 + 20
    assert all(r["address"].startswith("0x") and len(r["address"]) == 42 for r in rows.values())


def test_demo_table_prints_full_addresses_when_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--no-serve"]) == 0  # capsys: stdout is not a terminal
    out = capsys.readouterr().out
    table = out[out.index("Residents' credit") :]
    addresses = re.findall(r"│ (\w+) +│ (0x[0-9a-fA-F]{40}) │", table)
    assert [name for name, _ in addresses] == ["Ana", "Bo", "Chen", "Dara", "Eli", "Fang"]
    assert "…" not in table


def test_rules_check_prints_the_published_hash(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "check", str(DEFAULT_RULESET)]) == 0
    assert "hash 0x" in capsys.readouterr().out


def test_rules_check_on_a_broken_file_is_a_clear_error(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "rules.json"
    bad.write_text('{"schema": "consensus-credit/ruleset-1", "label": "x"}')
    assert main(["rules", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "rule set is invalid" in out and "categories" in out


def test_unknown_command_exits_non_zero() -> None:
    assert main(["no-such-command"]) == 2


def test_keys_new_writes_an_encrypted_keystore_and_never_overwrites(
    tmp_path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    from eth_account import Account

    path = tmp_path / "operator.json"
    monkeypatch.setenv("TEST_KEY_PASSWORD", "correct horse battery staple")
    assert main(["keys", "new", str(path), "--password-env", "TEST_KEY_PASSWORD"]) == 0
    address = capsys.readouterr().out.split()[2]
    key = Account.decrypt(path.read_text(), "correct horse battery staple")
    assert Account.from_key(key).address == address
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert main(["keys", "new", str(path), "--password-env", "TEST_KEY_PASSWORD"]) == 1
    monkeypatch.setenv("SHORT", "short")
    assert main(["keys", "new", str(tmp_path / "k2.json"), "--password-env", "SHORT"]) == 1


def test_a_command_exit_code_reaches_the_shell(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import typer

    from credit.cli import app

    @app.command("exit-three", hidden=True)
    def _exit_three() -> None:
        raise typer.Exit(3)

    assert main(["exit-three"]) == 3


def test_the_demo_names_every_wallet_with_its_roles(artifacts) -> None:  # type: ignore[no-untyped-def]
    from eth_account import Account

    from credit.chain import embedded_web3
    from credit.demo import demo_people, demo_roles, demo_wallets
    from credit.settings import Settings

    settings = Settings()
    people = demo_people(embedded_web3(), artifacts)
    wallets = {w.name: w for w in demo_wallets(people, settings)}
    assert len(wallets) == 14
    roles = demo_roles(people, Account.from_key(settings.minter_private_key()).address)
    for role, holders in roles.items():
        word = role.removesuffix("_ROLE").replace("_", " ").lower()
        named = [w for w in wallets.values() if w.address in holders]
        assert named and all(word in w.roles for w in named), role
    assert wallets["arbiter"].roles == "arbiter (decides appeals)"
    for p in people:  # throw-away keys: printed so they can be imported into a wallet
        assert Account.from_key(wallets[p.name].key).address == p.address
    assert "CREDIT_MINTER_KEY" in wallets["gateway minter"].key


@pytest.fixture
def fresh_settings(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """The CLI's settings read from an environment this test sets (built once per process)."""
    from credit.settings import get_settings

    for name in [k for k in __import__("os").environ if k.startswith("CREDIT_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CREDIT_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_operator_errors_say_what_to_do_not_how_it_failed(fresh_settings, capsys) -> None:  # type: ignore[no-untyped-def]
    """Refusals an operator meets first: each a message and exit code 1, never a traceback."""
    from credit.settings import get_settings

    assert main(["serve", "--network", "no-such-city"]) == 1
    out = capsys.readouterr().out
    assert "unknown network 'no-such-city'" in out and "not both" not in out
    assert main(["status"]) == 1  # nothing deployed on the embedded chain of this data dir
    assert "CREDIT_DEPLOYMENTS_DIR" in capsys.readouterr().out
    bad = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"  # EIP-55's example, one letter flipped
    assert main(["roles", "grant", "superior", bad]) == 1
    assert "not a valid EIP-55 checksum" in capsys.readouterr().out
    assert main(["deploy", "--grant", "SUPERIOR_ROLE"]) == 1
    assert "write ROLE=ADDRESS" in capsys.readouterr().out
    fresh_settings.setenv("CREDIT_OPERATOR_KEYSTORE", "operator.json")  # and no password
    get_settings.cache_clear()
    assert main(["status"]) == 1
    assert "CREDIT_OPERATOR_KEYSTORE needs CREDIT_OPERATOR_KEYSTORE_PASSWORD" in (
        capsys.readouterr().out
    )


def test_keys_address_prints_a_keystores_address_for_scripts(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from eth_account import Account

    account = Account.create()
    path = tmp_path / "k.json"
    path.write_text(json.dumps(Account.encrypt(account.key, "p" * 12)))
    assert main(["keys", "address", str(path)]) == 0
    assert capsys.readouterr().out == f"{account.address}\n"
    assert main(["keys", "address", str(tmp_path / "none.json")]) == 1
