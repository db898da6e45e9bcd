"""One place for configuration: a pydantic-settings object read from ``CREDIT_*`` variables.

No other module reads the environment; everything that needs a setting receives a ``Settings``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from credit.ruleset import DEFAULT_RULESET

# Well-known throw-away key for the dev profile only (never holds value anywhere).
DEV_RELAYER_KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"


class Settings(BaseSettings):
    """Settings of the ledger tools, the demo and the gateway."""

    model_config = SettingsConfigDict(env_prefix="CREDIT_", extra="forbid", frozen=True)

    profile: Literal["dev", "prod"] = "dev"
    data_dir: Path = Path("var")
    ruleset_file: Path = DEFAULT_RULESET
    epoch_seconds: int = Field(default=7 * 86400, ge=60)
    notice_seconds: int = Field(default=7 * 86400, ge=0)

    # chain
    chain: str = Field(default="embedded", description='"embedded" or a JSON-RPC URL')
    chain_path: Path | None = Field(
        default=None, description="SQLite file of the persistent embedded chain (None: in memory)"
    )
    chain_id: int | None = Field(default=None, description="expected chain id (guards RPC URLs)")
    poa: bool = Field(default=False, description="proof-of-authority header middleware (Besu/geth)")
    confirmation_depth: int = Field(default=0, ge=0, le=256)
    deployment_file: Path | None = None

    # relayer key: a keystore file (with its password) or, in the dev profile only, a raw key
    relayer_keystore: Path | None = None
    relayer_keystore_password: SecretStr | None = None
    relayer_key: SecretStr | None = None

    # a resident's verifier worker (`credit verify run`): their own wallet key, from a keystore or,
    # in the dev profile only, a raw key
    verifier_keystore: Path | None = None
    verifier_keystore_password: SecretStr | None = None
    verifier_key: SecretStr | None = None

    # gateway
    database_url: str = "sqlite:///var/gateway.sqlite"
    siwe_domain: str = "localhost:8000"
    siwe_uri: str = "http://localhost:8000"
    siwe_nonce_ttl_seconds: int = Field(default=300, ge=10)
    session_ttl_seconds: int = Field(default=12 * 3600, ge=60)
    batch_max_size: int = Field(default=50, ge=1, le=256)
    batch_window_seconds: float = Field(default=0.25, ge=0.0)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    max_evidence_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    signin_rate_per_minute: int = Field(default=30, ge=1)
    evidence_dir: Path | None = None

    @model_validator(mode="after")
    def _keys_by_profile(self) -> Settings:
        if self.profile == "prod" and self.relayer_key is not None:
            raise ValueError(
                "CREDIT_RELAYER_KEY is refused in the prod profile: use CREDIT_RELAYER_KEYSTORE "
                "and CREDIT_RELAYER_KEYSTORE_PASSWORD"
            )
        if self.relayer_keystore is not None and self.relayer_keystore_password is None:
            raise ValueError("CREDIT_RELAYER_KEYSTORE needs CREDIT_RELAYER_KEYSTORE_PASSWORD")
        if self.profile == "prod" and self.verifier_key is not None:
            raise ValueError(
                "CREDIT_VERIFIER_KEY is refused in the prod profile: use CREDIT_VERIFIER_KEYSTORE "
                "and CREDIT_VERIFIER_KEYSTORE_PASSWORD"
            )
        if self.verifier_keystore is not None and self.verifier_keystore_password is None:
            raise ValueError("CREDIT_VERIFIER_KEYSTORE needs CREDIT_VERIFIER_KEYSTORE_PASSWORD")
        return self

    def relayer_private_key(self) -> bytes:
        """The relayer's key: from the keystore, the env (dev), or the dev key (dev only)."""
        from eth_account import Account

        if self.relayer_keystore is not None:
            assert self.relayer_keystore_password is not None
            data = self.relayer_keystore.read_text(encoding="utf-8")
            return bytes(
                Account.decrypt(data, self.relayer_keystore_password.get_secret_value())
            )
        if self.relayer_key is not None:
            return bytes.fromhex(self.relayer_key.get_secret_value().removeprefix("0x"))
        if self.profile == "dev":
            return bytes.fromhex(DEV_RELAYER_KEY[2:])
        raise ValueError("no relayer key configured: set CREDIT_RELAYER_KEYSTORE (prod)")

    def verifier_private_key(self) -> bytes:
        """The verifier worker's key: from the keystore or, in the dev profile, the env."""
        from eth_account import Account

        if self.verifier_keystore is not None:
            assert self.verifier_keystore_password is not None
            data = self.verifier_keystore.read_text(encoding="utf-8")
            return bytes(
                Account.decrypt(data, self.verifier_keystore_password.get_secret_value())
            )
        if self.verifier_key is not None:
            return bytes.fromhex(self.verifier_key.get_secret_value().removeprefix("0x"))
        raise ValueError(
            "no verifier key configured: set CREDIT_VERIFIER_KEYSTORE and "
            "CREDIT_VERIFIER_KEYSTORE_PASSWORD (or CREDIT_VERIFIER_KEY in the dev profile)"
        )

    @property
    def evidence_path(self) -> Path:
        return self.evidence_dir or self.data_dir / "evidence"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, built once (tests build their own ``Settings`` instead)."""
    return Settings()
