"""The gateway's long-lived parts, built once from ``Settings`` and shared by the routes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from credit.chain.deploy import System
from credit.chain.tx import Transactor
from credit.ruleset import RuleSet
from credit.settings import Settings


@dataclass
class Services:
    """Everything a request handler may need. Components left ``None`` are not running."""

    settings: Settings
    engine: Engine
    system: System
    ruleset: RuleSet
    relayer: Transactor
    sessions: Any = None  # credit.gateway.auth.SessionStore
    feed: Any = None  # credit.store.feed.ChangeFeed: on PostgreSQL, other processes' changes
    indexer: Any = None  # credit.indexer.Indexer
    relay: Any = None  # credit.relay.Relay
    notices: Any = None  # credit.gateway.notices_service.NoticeService
    evidence: Any = None  # credit.gateway.evidence.EvidenceStore
    rewards: Any = None  # credit.gateway.rewards.RewardService
    settler: Any = None  # credit.gateway.verification.VerificationSettler
    background: list[Any] = field(default_factory=list)  # objects with start() / stop()

    def start(self) -> None:
        for part in self.background:
            part.start()

    def stop(self) -> None:
        for part in reversed(self.background):
            part.stop()
