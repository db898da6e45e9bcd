"""One place for configuration: a pydantic-settings object read from ``CREDIT_*`` variables.

No other module reads the environment; everything that needs a setting receives a ``Settings``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from credit.ruleset import DEFAULT_RULESET


class Settings(BaseSettings):
    """Settings of the ledger tools, the demo and (later) the gateway."""

    model_config = SettingsConfigDict(env_prefix="CREDIT_", extra="forbid", frozen=True)

    profile: Literal["dev", "prod"] = "dev"
    chain: str = Field(default="embedded", description='"embedded" or a JSON-RPC URL')
    data_dir: Path = Path("var")
    ruleset_file: Path = DEFAULT_RULESET
    epoch_seconds: int = Field(default=7 * 86400, ge=60)
    notice_seconds: int = Field(default=7 * 86400, ge=0)


@lru_cache
def get_settings() -> Settings:
    """The process's settings, built once (tests build their own ``Settings`` instead)."""
    return Settings()
