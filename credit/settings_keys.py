"""Which private key each of the gateway's and the operator's roles signs with (keystore, the
environment in the dev profile, or a well-known throw-away dev key): the key half of
:class:`credit.settings.Settings`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

if TYPE_CHECKING:
    from collections.abc import Sequence

# Well-known throw-away keys for the dev profile only (they never hold value anywhere).
DEV_RELAYER_KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
DEV_MINTER_KEY = "0x" + "6370fd033278c143179d81c5526140625662b8daa446c22ee2d73db3707e620c"
DEV_POOL_SEED = b"consensus-credit dev relayer pool"  # dev keys 1..K-1 of the sender pool
# keccak("consensus-credit dev operator"): the operator commands' dev key, apart from the gateway's
DEV_OPERATOR_KEY = "0x" + "1fc9b49cad459be2e8c558a54a565f8999a35b83d48422e572ba0721ecc7242d"
# Keys by role, with their dev-profile default (none for a resident's verifier key).
_KEYS = {
    "relayer": DEV_RELAYER_KEY,
    "minter": DEV_MINTER_KEY,
    "verifier": "",
    "operator": DEV_OPERATOR_KEY,
}


class KeyChoice:
    """The key methods of :class:`~credit.settings.Settings` (whose fields they read)."""

    profile: str
    relayer_pool_keystores: Sequence[Path]
    relayer_keystore_password: SecretStr | None
    relayer_pool_size: int

    def relayer_private_key(self) -> bytes:
        """The relayer's key: keystore, env (dev profile), or the well-known dev key (dev)."""
        return self._key("relayer")

    def relayer_pool_private_keys(self) -> list[bytes]:
        """Keys 1..K-1 of the sender pool (key 0 is :meth:`relayer_private_key`): from
        ``relayer_pool_keystores`` or, in the dev profile without them, derived from
        DEV_POOL_SEED (deterministic throw-away keys, like the dev relayer key)."""
        if self.relayer_pool_keystores:
            from eth_account import Account

            assert self.relayer_keystore_password is not None  # checked by _pool_keys
            password = self.relayer_keystore_password.get_secret_value()
            return [
                bytes(Account.decrypt(p.read_text(encoding="utf-8"), password))
                for p in self.relayer_pool_keystores
            ]
        return [dev_pool_key(i) for i in range(1, self.relayer_pool_size)]

    def minter_private_key(self) -> bytes:
        """The minter's key: keystore, env (dev profile), or the well-known dev key (dev)."""
        return self._key("minter")

    def operator_private_key(self) -> bytes:
        """The operator's key: keystore, env (dev profile), or the dev operator key (dev)."""
        return self._key("operator")

    def verifier_private_key(self) -> bytes:
        """A resident's verifier key: keystore or, in the dev profile, the env. No default."""
        return self._key("verifier")

    def _key(self, name: str) -> bytes:
        from eth_account import Account

        keystore: Path | None = getattr(self, f"{name}_keystore")
        password: SecretStr | None = getattr(self, f"{name}_keystore_password")
        raw: SecretStr | None = getattr(self, f"{name}_key")
        if keystore is not None and password is not None:
            data = keystore.read_text(encoding="utf-8")
            return bytes(Account.decrypt(data, password.get_secret_value()))
        if raw is not None:
            return bytes.fromhex(raw.get_secret_value().removeprefix("0x"))
        dev_key = _KEYS[name]
        if self.profile == "dev" and dev_key:
            return bytes.fromhex(dev_key[2:])
        upper = name.upper()
        raise ValueError(
            f"no {name} key configured: set CREDIT_{upper}_KEYSTORE and "
            f"CREDIT_{upper}_KEYSTORE_PASSWORD (or CREDIT_{upper}_KEY in the dev profile)"
        )


def dev_pool_key(index: int) -> bytes:
    """Dev-profile relayer key ``index`` (>= 1) of the sender pool: keccak(DEV_POOL_SEED, index)."""
    from eth_utils import keccak

    return bytes(keccak(DEV_POOL_SEED + index.to_bytes(4, "big")))
