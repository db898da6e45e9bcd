"""One place for configuration: a pydantic-settings object read from ``CREDIT_*`` variables.

No other module reads the environment; everything that needs a setting receives a ``Settings``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from credit.ruleset import DEFAULT_RULESET
from credit.settings_keys import (  # noqa: F401 (re-exported: the dev keys' one home)
    _KEYS,
    DEV_MINTER_KEY,
    DEV_OPERATOR_KEY,
    DEV_POOL_SEED,
    DEV_RELAYER_KEY,
    KeyChoice,
    dev_pool_key,
)

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def _optional(description: str) -> Any:
    """A setting that may be left unset (None); ``description`` says what unset means."""
    return Field(default=None, description=description)


def _per_minute(default: int, description: str) -> Any:
    """A rate limit: how many of something one client may do a minute (at least one)."""
    return Field(default=default, ge=1, description=description)


def _comma_separated(description: str) -> Any:
    """A list read from one environment variable, its items separated by commas (none unset);
    each such field has a ``mode="before"`` validator that splits it (:func:`_comma_list`)."""
    return Field(default_factory=list, description=description)


class Settings(KeyChoice, BaseSettings):
    """Settings of the ledger tools, the demo and the gateway."""

    # Errors never repeat a value: settings carry keys, passwords and URLs with credentials.
    model_config = SettingsConfigDict(
        env_prefix="CREDIT_", extra="forbid", frozen=True, hide_input_in_errors=True
    )

    profile: Literal["dev", "prod"] = "dev"
    data_dir: Path = Path("var")
    ruleset_file: Path = DEFAULT_RULESET
    epoch_seconds: int = Field(default=7 * 86400, ge=60)
    notice_seconds: int = Field(default=7 * 86400, ge=0)

    # chain
    chain: str = Field(default="embedded", description='"embedded" or a JSON-RPC URL')
    chain_path: Path | None = _optional(
        "SQLite file of the persistent embedded chain (None: in memory)"
    )
    chain_id: int | None = _optional("expected chain id (guards RPC URLs)")
    poa: bool = Field(default=False, description="proof-of-authority header middleware (Besu/geth)")
    confirmation_depth: int = Field(default=0, ge=0, le=256)
    deployment_file: Path | None = None
    network: str | None = _optional(
        "the network the operator commands and `credit serve` use when no --network "
        "is given (a name of config/networks.toml; CREDIT_CHAIN, an http(s) URL, overrides its "
        "node URL)",
    )
    deployments_dir: Path = Field(
        default=Path("deployments"),
        description="where `credit deploy` writes <network>.json (relative: to the directory the "
        "command runs in)",
    )

    # relayer key: a keystore file (with its password) or, in the dev profile only, a raw key
    relayer_keystore: Path | None = None
    relayer_keystore_password: SecretStr | None = None
    relayer_key: SecretStr | None = None
    # the sender pool (credit.relay.senders): K relayer keys, each with its own nonce sequence.
    # Key 0 is the relayer key above; keys 1..K-1 come from ``relayer_pool_keystores`` (opened
    # with CREDIT_RELAYER_KEYSTORE_PASSWORD) or, in the dev profile, are derived from DEV_POOL_SEED.
    relayer_pool_size: int = Field(
        default=1,
        ge=1,
        le=64,
        description="how many relayer keys the relay signs with (K): batches are spread over them",
    )
    relayer_pool_keystores: Annotated[list[Path], NoDecode] = _comma_separated(
        "keystore files (comma-separated) of relayer keys 1..K-1, each opened with "
        "CREDIT_RELAYER_KEYSTORE_PASSWORD",
    )
    relayer_max_pending: int = Field(
        default=16,
        ge=1,
        le=4096,
        description="transactions one relayer key may have sent and not yet mined: keep it at or "
        "below the node's per-sender pool limit (Besu: --tx-pool-limit-by-account-percentage)",
    )
    relayer_stuck_seconds: float = Field(
        default=30.0,
        gt=0,
        description="a relayer key's lowest unmined transaction older than this, while blocks "
        "are being mined, is replaced by one with the same nonce and a higher fee",
    )
    # the minter key (holds MINTER_ROLE; its own signer, so relaying and minting never share nonces)
    minter_keystore: Path | None = None
    minter_keystore_password: SecretStr | None = None
    minter_key: SecretStr | None = None

    # the operator's own key (`credit deploy`, `roles`, `residents`, `rules publish`, `fund`):
    # never the gateway's relayer or minter key
    operator_keystore: Path | None = None
    operator_keystore_password: SecretStr | None = None
    operator_key: SecretStr | None = None

    # a resident's verifier worker (`credit verify run`): their own wallet key, from a keystore or,
    # in the dev profile only, a raw key
    verifier_keystore: Path | None = None
    verifier_keystore_password: SecretStr | None = None
    verifier_key: SecretStr | None = None

    # gateway
    database_url: str | None = _optional("SQLAlchemy URL; default: a SQLite file in data_dir")
    database_busy_timeout_seconds: float = Field(
        default=15.0,
        gt=0,
        le=300,
        description="how long a write waits for another writer's lock before answering 503",
    )
    database_checkpoint_seconds: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="how often the gateway copies a SQLite file's write-ahead log into it "
        "(in the background, so that no writer does it while others wait)",
    )
    siwe_domain: str = "localhost:8000"
    siwe_uri: str = "http://localhost:8000"
    siwe_nonce_ttl_seconds: int = Field(default=300, ge=10)
    session_ttl_seconds: int = Field(default=12 * 3600, ge=60)
    batch_max_size: int = Field(default=50, ge=1, le=256)
    batch_window_seconds: float = Field(default=0.25, ge=0.0)
    run_workers: bool = Field(
        default=True,
        description="`credit serve` runs the relay, the indexer and the payers in its own process "
        "(the embedded, SQLite shape); false: the API only, over PostgreSQL, with `credit relay "
        "run` and `credit index run` started as processes of their own",
    )
    worker_lease_seconds: float = Field(
        default=10.0,
        gt=0.5,
        le=600,
        description="on databases without advisory locks (SQLite), how long a killed relay "
        "worker or indexer keeps its lease before a waiting copy takes over",
    )
    max_waiting_claims_per_resident: int = Field(
        default=20,
        ge=1,
        description="claims of one resident waiting for confirmations at once (posting needs no "
        "session): more are refused with 429 too_many_waiting_claims until some are confirmed "
        "or expire",
    )
    max_claim_deadline_seconds: int = Field(
        default=30 * 86400,
        ge=3600,
        description="how far past the chain's time a claim's deadline may be (422 "
        "deadline_too_far beyond): a claim nobody confirms is rejected as expired by then",
    )
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    max_evidence_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    evidence_quota_bytes: int = Field(
        default=50 * 1024 * 1024,
        ge=1024,
        description="evidence one account may keep (erased evidence does not count)",
    )
    evidence_quota_items: int = Field(
        default=100, ge=1, description="evidence items one account may keep (erased do not count)"
    )
    evidence_budget_bytes: int = Field(
        default=10 * 1024**3,
        ge=1024,
        description="evidence all accounts together may keep: the evidence disk's budget",
    )
    signin_rate_per_minute: int = _per_minute(
        30, "sign-in requests (nonce and login) one client IP may make"
    )
    signin_rate_per_address_per_minute: int = _per_minute(
        20, "sign-ins (logins) of one wallet address a minute, from any IP"
    )
    signin_shared_networks: Annotated[list[str], NoDecode] = _comma_separated(
        "client networks (comma-separated CIDRs, e.g. a kiosk's IP or a NAT'd "
        "district network) whose IPs many residents share: they get "
        "signin_shared_rate_per_minute instead of signin_rate_per_minute",
    )
    signin_shared_rate_per_minute: int = _per_minute(
        600, "sign-in requests one shared client IP may make a minute"
    )
    evidence_dir: Path | None = None
    auditor_addresses: Annotated[list[str], NoDecode] = _comma_separated(
        "wallets (comma-separated addresses) that, once signed in, may read the whole "
        "evidence access log (GET /v1/evidence/access-log); residents read their own part only",
    )

    # residents' wallets: the JSON-RPC URL they add the network with (see docs/operations.md)
    public_rpc_url: str | None = _optional(
        "the chain's public JSON-RPC URL for residents' wallets (http(s), without "
        "credentials, query or fragment); unset: the gateway's own read-only /rpc window",
    )
    rpc_calls_per_minute: int = _per_minute(
        300, "JSON-RPC calls one client address may make to /rpc a minute"
    )
    verification_writes_per_minute: int = _per_minute(
        20, "relayed verification commits and reveals one client address may send a minute"
    )
    rpc_time_budget_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="the longest one /rpc request may take, waiting for the node included",
    )

    # public pages: rule-set documents and anonymous reads
    public_url: str | None = _optional(
        "the gateway's public base URL, put into the URI each published rule set "
        "carries on chain (<url>/v1/public/rule-sets/<version>/document); unset: siwe_uri",
    )
    rule_documents_dir: Path | None = _optional(
        "where published rule-set documents are kept by hash; unset: <data_dir>/rule-sets",
    )
    public_reads_per_minute: int = _per_minute(
        600, "public-page reads one client address may make a minute"
    )

    def rules_base_url(self) -> str:
        """The base URL of published rule-set URIs."""
        return self.public_url or self.siwe_uri

    def rule_documents(self) -> Path:
        """The directory of published rule-set documents."""
        return self.rule_documents_dir or Path(self.data_dir) / "rule-sets"

    @field_validator("auditor_addresses", mode="before")
    @classmethod
    def _auditor_list(cls, value: object) -> object:
        value = _comma_list(value)
        if isinstance(value, list):
            bad = [a for a in value if not _ADDRESS.fullmatch(str(a))]
            if bad:
                raise ValueError(
                    f"CREDIT_AUDITOR_ADDRESSES holds {bad}, not addresses: give 0x + 40 hex each, "
                    "separated by commas"
                )
            return [str(a).lower() for a in value]
        return value

    @field_validator("signin_shared_networks", mode="before")
    @classmethod
    def _network_list(cls, value: object) -> object:
        import ipaddress

        value = _comma_list(value)
        if isinstance(value, list):
            try:
                return [str(ipaddress.ip_network(str(n), strict=False)) for n in value]
            except ValueError as exc:
                raise ValueError(
                    f"CREDIT_SIGNIN_SHARED_NETWORKS: {exc}: give IPs or CIDRs (10.1.0.0/16), "
                    "separated by commas"
                ) from exc
        return value

    @field_validator("relayer_pool_keystores", mode="before")
    @classmethod
    def _keystore_list(cls, value: object) -> object:
        items = _comma_list(value)
        return [Path(str(p)) for p in items] if isinstance(items, list) else items

    @model_validator(mode="after")
    def _pool_keys(self) -> Settings:
        extra = len(self.relayer_pool_keystores)
        wanted = self.relayer_pool_size - 1
        if extra > wanted or (extra < wanted and (self.profile == "prod" or extra)):
            raise ValueError(
                f"CREDIT_RELAYER_POOL_SIZE is {self.relayer_pool_size} but "
                f"CREDIT_RELAYER_POOL_KEYSTORES names {extra} keystores: name one for each key "
                "after the first (the first is CREDIT_RELAYER_KEYSTORE)"
            )
        if extra and self.relayer_keystore_password is None:
            raise ValueError("CREDIT_RELAYER_POOL_KEYSTORES needs CREDIT_RELAYER_KEYSTORE_PASSWORD")
        return self

    @field_validator("public_rpc_url")
    @classmethod
    def _public_for_wallets(cls, url: str | None) -> str | None:
        if url is None:
            return None
        problem = _wallet_url_problem(url)
        if problem:
            raise ValueError(
                f"CREDIT_PUBLIC_RPC_URL is shown to every resident's wallet, but {problem}: give "
                "the public address of a node (or proxy) that needs no secret"
            )
        return url

    @model_validator(mode="after")
    def _evidence_limits(self) -> Settings:
        if self.evidence_quota_bytes < self.max_evidence_bytes:
            raise ValueError(
                f"CREDIT_EVIDENCE_QUOTA_BYTES ({self.evidence_quota_bytes}) is below "
                f"CREDIT_MAX_EVIDENCE_BYTES ({self.max_evidence_bytes}): an account could not "
                "keep one evidence item of the largest size accepted"
            )
        if self.evidence_budget_bytes < self.evidence_quota_bytes:
            raise ValueError(
                f"CREDIT_EVIDENCE_BUDGET_BYTES ({self.evidence_budget_bytes}) is below "
                f"CREDIT_EVIDENCE_QUOTA_BYTES ({self.evidence_quota_bytes}): one account could "
                "fill the whole evidence budget"
            )
        return self

    @model_validator(mode="after")
    def _keys_by_profile(self) -> Settings:
        for name in _KEYS:
            upper = name.upper()
            if self.profile == "prod" and getattr(self, f"{name}_key") is not None:
                raise ValueError(
                    f"CREDIT_{upper}_KEY is refused in the prod profile: use "
                    f"CREDIT_{upper}_KEYSTORE and CREDIT_{upper}_KEYSTORE_PASSWORD"
                )
            has_store = getattr(self, f"{name}_keystore") is not None
            if has_store and getattr(self, f"{name}_keystore_password") is None:
                raise ValueError(f"CREDIT_{upper}_KEYSTORE needs CREDIT_{upper}_KEYSTORE_PASSWORD")
        return self

    @property
    def database(self) -> str:
        """The database URL in effect."""
        return self.database_url or f"sqlite:///{self.data_dir / 'gateway.sqlite'}"

    @property
    def evidence_path(self) -> Path:
        return self.evidence_dir or self.data_dir / "evidence"


def _comma_list(value: object) -> object:
    """An environment variable's comma-separated items (a list is kept as it is)."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _wallet_url_problem(url: str) -> str | None:
    """Why ``url`` may not be shown to wallets, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "it must be http:// or https://"
    if not parts.hostname:
        return "it has no host"
    if "@" in parts.netloc:
        return "it carries credentials (user:password@)"
    if "?" in url:
        return "it has a query (?...)"
    if "#" in url:
        return "it has a fragment (#...)"
    return None


@lru_cache
def get_settings() -> Settings:
    """The process's settings, built once (tests build their own ``Settings`` instead)."""
    return Settings()
