"""Serving notices: the pure engine over the index, under the rule set published on chain."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from credit.chain.history import role_holders
from credit.errors import RuleError
from credit.facts import LedgerFacts
from credit.gateway.errors import ApiError, NotFound
from credit.gateway.services import Services
from credit.notices import Notice, canonical_notices_json, evaluate, parse_notices
from credit.ruleset import EvaluatorKind
from credit.store.notice_tables import notice_acks

# On-chain role names (credit.chain.roles) -> the evaluator kinds they confirm as.
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
    """

    def __init__(self, services: Services, *, version_ttl: float = 5.0) -> None:
        self.services = services
        parse_notices(services.ruleset)  # a bad notices section fails at start-up, not per request
        self._hash = "0x" + services.ruleset.content_hash().hex()
        self._version_ttl = version_ttl
        self._version: tuple[float, int] | None = None
        self._lock = threading.Lock()

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

    def notices_for(self, address: str, roles: frozenset[str]) -> list[dict[str, Any]]:
        """``address``'s notices, each with whether it was acknowledged."""
        resident = address.lower()
        kinds = {k for r, k in _KIND_OF_ROLE.items() if r in roles}
        notices = self._evaluate(recipients=[resident], roles={resident: kinds})
        acked = self._acked(resident)
        return [{**n.to_dict(), "acknowledged": n.id in acked} for n in notices]

    def export(self) -> bytes:
        """Every resident's notices at the indexed block, as canonical JSON, with evaluator roles
        as the chain has them: exactly what an auditor recomputes from chain data alone."""
        facts = self.facts()
        roles: dict[str, set[int]] = {r.lower(): {EvaluatorKind.PEER} for r in facts.residents}
        for key, holders in role_holders(self.services.system).items():
            kind = _KIND_OF_ROLE.get(key.split(".", 1)[1].removesuffix("_ROLE"))
            if key.startswith("CreditLedger.") and kind is not None and kind != EvaluatorKind.PEER:
                for holder in holders:
                    roles.setdefault(holder.lower(), set()).add(kind)
        notices = json.loads(canonical_notices_json(self._evaluate(facts=facts, roles=roles)))
        body = {"as_of_block": facts.as_of_block, "notices": notices}
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def acknowledge(self, address: str, notice_id: str, roles: frozenset[str]) -> None:
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
        with self.services.engine.connect() as conn:
            rows = conn.execute(
                select(notice_acks.c.notice_id).where(notice_acks.c.resident == resident)
            ).scalars()
            return set(rows)
