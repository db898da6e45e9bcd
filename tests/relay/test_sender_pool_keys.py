"""The sender pool's keys from settings, and a stuck transaction's replacement, without a node."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from pydantic import ValidationError

from credit.chain.replace import BUMP_PERCENT, bumped, fees_of
from credit.errors import ChainError
from credit.relay.senders import SenderPool, pool_addresses
from credit.settings import DEV_RELAYER_KEY, Settings


def test_dev_pool_keys_are_derived_distinct_and_stable() -> None:
    three = pool_addresses(Settings(relayer_pool_size=3))
    assert len(set(three)) == 3
    assert three[0] == Account.from_key(DEV_RELAYER_KEY).address  # key 0: the relayer key
    assert pool_addresses(Settings(relayer_pool_size=3)) == three
    assert pool_addresses(Settings(relayer_pool_size=2)) == three[:2]
    assert pool_addresses(Settings()) == three[:1]


def test_pool_keys_come_from_keystores(tmp_path: Path) -> None:
    keys = [Account.create() for _ in range(3)]
    paths = []
    for i, k in enumerate(keys):
        path = tmp_path / f"relayer{i}.json"
        path.write_text(__import__("json").dumps(Account.encrypt(k.key, "pw", iterations=2)))
        paths.append(path)
    settings = Settings(
        profile="prod",
        relayer_keystore=paths[0],
        relayer_keystore_password="pw",  # type: ignore[arg-type]
        relayer_pool_size=3,
        relayer_pool_keystores=f"{paths[1]}, {paths[2]}",  # type: ignore[arg-type]
    )
    assert pool_addresses(settings) == [k.address for k in keys]


@pytest.mark.parametrize(
    "given",
    [
        pytest.param({"profile": "prod"}, id="prod-without-keystores"),
        pytest.param({"relayer_pool_keystores": "a.json,b.json,c.json"}, id="too-many"),
        pytest.param({"relayer_pool_keystores": "a.json"}, id="too-few"),
    ],
)
def test_a_pool_without_a_keystore_for_each_key_is_refused(given: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="CREDIT_RELAYER_POOL_KEYSTORES"):
        Settings(relayer_pool_size=3, relayer_keystore_password="pw", **given)  # type: ignore[arg-type]


def test_one_key_twice_in_a_pool_is_refused() -> None:
    key = Account.from_key(DEV_RELAYER_KEY)
    with pytest.raises(ValueError, match="one relayer key twice"):
        SenderPool(None, [key, key])  # type: ignore[arg-type]


def test_a_replacement_keeps_nonce_call_and_gas_and_pays_more() -> None:
    me = Account.create()
    tx = {
        "type": 2,
        "chainId": 31337,
        "nonce": 7,
        "to": "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB",
        "value": 0,
        "gas": 90_000,
        "data": b"\x01\x02\x03",
        "maxFeePerGas": 3 * 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    raw = bytes(me.sign_transaction(tx).raw_transaction)
    new = bumped(raw, me, {"maxFeePerGas": 10**9, "maxPriorityFeePerGas": 10**9})
    nonce, max_fee, tip = fees_of(new.raw)
    assert nonce == 7 and new.nonce == 7
    assert max_fee * 100 >= 3 * 10**9 * (100 + BUMP_PERCENT)
    assert tip * 100 >= 10**9 * (100 + BUMP_PERCENT)
    assert Account.recover_transaction(new.raw) == me.address
    # above the floor when the base fee has risen since
    high = bumped(raw, me, {"maxFeePerGas": 50 * 10**9, "maxPriorityFeePerGas": 2 * 10**9})
    assert (high.max_fee, high.tip) == (50 * 10**9, 2 * 10**9)
    with pytest.raises(ChainError, match="signed by the key"):
        bumped(raw, Account.create(), {"maxFeePerGas": 1, "maxPriorityFeePerGas": 1})
