"""Serving notices: the pure engine over the index, under the rule set published on chain."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from credit.chain.history import role_holders
from credit.errors import RuleError
from credit.facts import ClaimRejection, HeldClaim, LedgerFacts
from credit.gateway.errors import ApiError, NotFound
from credit.gateway.services import Services
from credit.notices import Notice, canonical_notices_json, evaluate, parse_notices
from credit.relay.held import held_claims
from credit.relay.reject import rejections_since
from credit.ruleset import EvaluatorKind
from credit.store.db import reader
from credit.store.feed import announce
from credit.store.notice_tables import notice_acks

# On-chain role names (credit.chain.roles) -> the evaluator kinds they confirm as.
_ACKED = select(notice_acks.c.notice_id).where(notice_acks.c.resident == bindparam("resident"))
ACKS_CHANNEL = "credit_acks"  # "resident notice-id": an acknowledgement (credit.store.feed)
REJECTIONS_TTL_SECONDS = 1.0  # how long the rejections read for notices are reused
_KIND_OF_ROLE = {
    "SUPERIOR": EvaluatorKind.SUPERIOR,
    "RESIDENT": EvaluatorKind.PEER,
    "PUBLIC_PANEL": EvaluatorKind.PUBLIC,
    "EXPERT": EvaluatorKind.EXPERT,
}


class NoticeService:
    """Notices for residents, computed from indexed chain facts and the published rule set.

    Refuses to serve anything if the gateway's rule-set file is not the version in force on chain:
    a notice must always name a rule that residents can read and auditors can recompute.

    Reads at city scale (``notices_for`` without ``roles``): everyone's notices are evaluated once
    per index position and kept, so a read is a lookup, not an evaluation over every resident
    (the community median alone is O(residents)). Evaluator kinds then come from the indexed
    ``RoleGranted``/``RoleRevoked`` events at that same position, not from a role read per
    request: one chain state gives one set of notices. One thread evaluates; the others wait.

    Claims the relay holds (signed, waiting for endorsements, not on chain yet) are facts too:
    they are read at most every ``held_ttl`` seconds and evaluated with the indexed facts, so a
    waiting claim reminds its resident and the officials who may confirm it. They are private, so
    :meth:`export` (what auditors recompute from chain data alone) leaves them out.
    """

    def __init__(
        self, services: Services, *, version_ttl: float = 5.0, held_ttl: float = 5.0
    ) -> None:
        self.services = services
        section = parse_notices(services.ruleset)  # a bad section fails at start-up, not later
        # how far back rejections (held here, not on chain) can still make a notice
        self._rejection_window = max(
            (
                int(r.params.get("window_seconds", 30 * 86400))
                for r in section.rules
                if r.condition == "claim_rejected"
            ),
            default=None,
        )
        self._hash = "0x" + services.ruleset.content_hash().hex()
        self._version_ttl = version_ttl
        self._version: tuple[float, int] | None = None
        self._lock = threading.Lock()
        self._eval_lock = threading.Lock()
        self._held_ttl = held_ttl
        self._held: tuple[float, tuple[HeldClaim, ...]] | None = None
        self._rejections: tuple[float, int, tuple[ClaimRejection, ...]] | None = None
        self._everyone: (
            tuple[tuple[int, object, object, object, object], dict[str, list[Notice]]] | None
        ) = None
        # every acknowledgement, by resident, while the feed listens (PostgreSQL; else read)
        self._acks: dict[str, set[str]] | None = None
        if services.feed is not None and not services.feed.running:  # else: read them
            services.feed.follow(ACKS_CHANNEL, self)

    def version_in_force(self) -> int:
        """The on-chain version in force; it must be this gateway's rule-set file."""
        with self._lock:
            if self._version and time.monotonic() - self._version[0] < self._version_ttl:
                return self._version[1]
        in_force, _, _ = self.services.system.rule_book.functions.versions().call()
        with self._lock:
            self._version = (time.monotonic(), int(in_force))
        return int(in_force)

    def facts(self) -> LedgerFacts:
        if self.services.indexer is None:
            raise ApiError(
                503, "index_unavailable", "the indexer is not running: try again shortly"
            )
        facts: LedgerFacts = self.services.indexer.facts()
        return facts

    def _fresh_rejections(self, facts: LedgerFacts) -> tuple[ClaimRejection, ...] | None:
        """:meth:`rejections` if that needs no read, else None."""
        if self._rejection_window is None:
            return ()
        since = facts.as_of_time - self._rejection_window
        cached = self._rejections
        if cached is not None and cached[1] == since and time.monotonic() < cached[0]:
            return cached[2]
        return None

    def held(self) -> tuple[HeldClaim, ...]:
        """Claims the relay holds, re-read at most every ``held_ttl`` seconds; the same object
        while they do not change (the cache of everyone's notices keys on its identity)."""
        cached = self._held
        if cached is not None and time.monotonic() - cached[0] < self._held_ttl:
            return cached[1]
        with reader(self.services.engine).connect() as conn:
            now = held_claims(conn)
        with self._lock:
            if self._held is not None and self._held[1] == now:
                now = self._held[1]
            self._held = (time.monotonic(), now)
        return now

    def rejections(self, facts: LedgerFacts) -> tuple[ClaimRejection, ...]:
        """Evaluators' rejections of claims held here, recent enough for a notice at ``facts``'
        time (what the gateway adds to the chain's facts; never in :meth:`export`). Read at
        most every ``REJECTIONS_TTL_SECONDS`` (every notices read asks): a rejection is told
        that much later at most."""
        fresh = self._fresh_rejections(facts)
        if fresh is not None:
            return fresh
        assert self._rejection_window is not None
        since = facts.as_of_time - self._rejection_window
        cached = self._rejections
        with reader(self.services.engine).connect() as conn:
            rows = rejections_since(conn, since)
        found = tuple(
            ClaimRejection(
                r["record_id"],
                r["resident"],
                r["category"],
                r["units"],
                r["occurred_at"],
                r["kind"],
                r["reason"],
                r["note"],
                r["at"],
            )
            for r in rows
        )
        if cached is not None and cached[2] == found:
            found = cached[2]  # the same tuple: the evaluation cache compares it by identity
        self._rejections = (time.monotonic() + REJECTIONS_TTL_SECONDS, since, found)
        return found

    def notices_for(
        self, address: str, roles: frozenset[str] | None = None
    ) -> list[dict[str, Any]]:
        """``address``'s notices, each with whether it was acknowledged.

        Without ``roles`` (what the routes do) the evaluator kinds are the indexed ones and the
        answer comes from the shared evaluation; with live ``roles`` it is evaluated alone.
        """
        resident = address.lower()
        if roles is None:
            notices = self._everyone_now().get(resident, [])
        else:
            kinds = {k for r, k in _KIND_OF_ROLE.items() if r in roles}
            facts = self.facts()
            notices = self._evaluate(
                facts=replace(facts, held=self.held(), rejections=self.rejections(facts)),
                recipients=[resident],
                roles={resident: kinds},
                arbiters=[resident] if "ARBITER" in roles else [],
            )
        acked = self._acked(resident)
        return [{**n.to_dict(), "acknowledged": n.id in acked} for n in notices]

    def cached_notices_for(self, address: str) -> list[dict[str, Any]] | None:
        """:meth:`notices_for` if it needs no chain read and no evaluation (all cached at the
        index's position), else None: what a caller on an event loop may run inline."""
        indexer, everyone, version = self.services.indexer, self._everyone, self._version
        held = self._held
        if indexer is None or everyone is None or version is None or held is None:
            return None
        if time.monotonic() - version[0] >= self._version_ttl:
            return None
        if time.monotonic() - held[0] >= self._held_ttl:
            return None
        facts, kinds = indexer.cached_facts(), indexer.cached_evaluator_kinds()
        if facts is None or kinds is None:
            return None
        rejections = self._fresh_rejections(facts)
        if rejections is None:
            return None
        key = (version[1], facts, kinds, held[1], rejections)
        if not all(a is b for a, b in zip(everyone[0], key, strict=True)):
            return None
        resident = address.lower()
        acked = self._acked(resident)
        notices = everyone[1].get(resident, [])
        return [{**n.to_dict(), "acknowledged": n.id in acked} for n in notices]

    def _everyone_now(self) -> dict[str, list[Notice]]:
        """Everyone's notices at the index position, by resident (evaluated once per position)."""
        version, facts, held = self.version_in_force(), self.facts(), self.held()
        kinds = self.services.indexer.evaluator_kinds()
        arbiters = self.services.indexer.arbiters()  # read with the kinds: same position
        rejections = self.rejections(facts)  # held here too: the same tuple while unchanged
        key = (version, facts, kinds, held, rejections)  # identity says "same"
        cached = self._everyone
        if cached is not None and all(a is b for a, b in zip(cached[0], key, strict=True)):
            return cached[1]
        with self._eval_lock:
            cached = self._everyone
            if cached is not None and all(a is b for a, b in zip(cached[0], key, strict=True)):
                return cached[1]
            roles = {address: set(k) for address, k in kinds.items()}
            by_resident: dict[str, list[Notice]] = {}
            everything = replace(facts, held=held, rejections=rejections)
            # sorted by resident first
            for n in self._evaluate(facts=everything, roles=roles, arbiters=arbiters):
                by_resident.setdefault(n.resident, []).append(n)
            self._everyone = (key, by_resident)
        return by_resident

    def export(self) -> bytes:
        """Every resident's notices at the indexed block, as canonical JSON, with evaluator roles
        as the chain has them: exactly what an auditor recomputes from chain data alone (so
        without the claims the relay holds: they are not on chain, and they are private)."""
        facts = self.facts()
        roles: dict[str, set[int]] = {r.lower(): {EvaluatorKind.PEER} for r in facts.residents}
        holders_of = role_holders(self.services.system)
        arbiters = [a.lower() for a in holders_of.get("CreditLedger.ARBITER_ROLE", [])]
        for key, holders in holders_of.items():
            kind = _KIND_OF_ROLE.get(key.split(".", 1)[1].removesuffix("_ROLE"))
            if key.startswith("CreditLedger.") and kind is not None and kind != EvaluatorKind.PEER:
                for holder in holders:
                    roles.setdefault(holder.lower(), set()).add(kind)
        evaluated = self._evaluate(facts=facts, roles=roles, arbiters=arbiters)
        notices = json.loads(canonical_notices_json(evaluated))
        body = {"as_of_block": facts.as_of_block, "notices": notices}
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def acknowledge(
        self, address: str, notice_id: str, roles: frozenset[str] | None = None
    ) -> None:
        """Record that ``address`` saw ``notice_id`` (one of its current notices)."""
        current = {n["id"] for n in self.notices_for(address, roles)}
        if notice_id not in current:
            raise NotFound(f"{notice_id} is not one of {address}'s current notices")
        try:
            with self.services.engine.begin() as conn:
                conn.execute(
                    insert(notice_acks).values(
                        resident=address.lower(), notice_id=notice_id, acked_at=datetime.now(UTC)
                    )
                )
                announce(conn, ACKS_CHANNEL, f"{address.lower()} {notice_id}")
        except IntegrityError:
            pass  # already acknowledged: idempotent

    def _evaluate(self, facts: LedgerFacts | None = None, **kw: Any) -> list[Notice]:
        version = self.version_in_force()
        try:
            return evaluate(self.services.ruleset, version, facts or self.facts(), **kw)
        except RuleError as exc:
            raise ApiError(
                503,
                "rules_unpublished",
                f"the gateway's rule set ({self._hash}) is not version {version} in force on "
                f"chain, so no notice can be served under it: {exc}",
            ) from exc

    def _acked(self, resident: str) -> set[str]:
        acks, feed = self._acks, self.services.feed
        if acks is not None and feed is not None and feed.live:
            return acks.get(resident, set())
        with reader(self.services.engine).connect() as conn:
            rows = conn.execute(_ACKED, {"resident": resident}).scalars()
            return set(rows)

    def reads_memory_only(self) -> bool:
        """Whether :meth:`cached_notices_for` answers without any database read now."""
        feed = self.services.feed
        return self._acks is not None and feed is not None and feed.live

    # -- the copy of every acknowledgement, kept by the feed (credit.store.feed.Follower) -------
    def changed(self, payload: str) -> None:
        """An acknowledgement stored by some process: ``resident notice-id``."""
        acks = self._acks
        if acks is not None:
            resident, notice_id = payload.split(" ", 1)
            acks.setdefault(resident, set()).add(notice_id)

    def lost(self) -> None:
        self._acks = None

    def resync(self) -> None:
        copy: dict[str, set[str]] = {}
        with reader(self.services.engine).connect() as conn:
            for resident, notice_id in conn.execute(
                select(notice_acks.c.resident, notice_acks.c.notice_id)
            ):
                copy.setdefault(resident, set()).add(notice_id)
        self._acks = copy
