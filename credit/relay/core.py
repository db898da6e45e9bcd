"""What the relay needs from the process it runs in, and what its parts need from it.

:class:`RelayParts` is what the composition root (:mod:`credit.compose`) hands the relay: the
settings, the database, the deployed system and the relayer's transactor, nothing of the
gateway. :class:`RelayCore` is the view that intake, records and the signer workers take of the
running :class:`~credit.relay.service.Relay`, so that each names the few things it uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from credit.chain.deploy import System
from credit.chain.relay_reads import RuleInForce
from credit.chain.tx import Transactor
from credit.relay.plan import Quorum
from credit.settings import Settings


class _StoreAndChain(Protocol):
    """The relay's database and deployed system (read-only attributes)."""

    @property
    def engine(self) -> Engine: ...
    @property
    def system(self) -> System: ...


class RelayParts(_StoreAndChain, Protocol):
    """The long-lived parts a relay is built from: its database and system, the settings and
    the relayer's transactor."""

    @property
    def settings(self) -> Settings: ...
    @property
    def relayer(self) -> Transactor: ...


class RelayCore(_StoreAndChain, Protocol):
    """The running relay as its parts see it: its database, chain, write lock and limits."""

    @property
    def lock(self) -> AbstractContextManager[Any]: ...  # re-entrant: a threading.RLock
    @property
    def max_records(self) -> int: ...  # records one confirmation may name
    @property
    def deadline_margin(self) -> int: ...  # seconds a signature must stay valid once received
    @property
    def max_deadline(self) -> int: ...  # the furthest deadline a claim may carry, in seconds
    @property
    def max_waiting(self) -> int: ...  # claims a resident may have waiting for confirmations

    def rules(self) -> Mapping[int, Quorum]: ...
    def rule_in_force(self, category: int) -> RuleInForce | None: ...
    def wake(self) -> None: ...
