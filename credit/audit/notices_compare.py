"""Recomputing the gateway's reminders and warnings from chain data, and comparing an export.

The notices engine is pure (:func:`credit.notices.evaluate`): the auditor folds the replayed
events up to the export's block into :class:`credit.facts.LedgerFacts`, takes the rule-set file
whose hash is the version in force on chain, the evaluator roles held at that block, and compares
every notice byte for byte (canonical JSON) with the export, by notice id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from credit.audit.model import ChainEvent, Findings
from credit.errors import CreditError
from credit.fold import Schedule, fold_facts
from credit.notices import Notice, evaluate
from credit.ruleset import RuleSet, canonical_json


class NoticesExportError(CreditError):
    """The notices export cannot be read: pass the JSON the gateway exported."""


@dataclass(frozen=True)
class NoticesExport:
    """A gateway export: its notices (dicts) and, if it says so, the block it was computed at."""

    notices: tuple[dict[str, Any], ...]
    as_of_block: int | None = None

    @property
    def created_at(self) -> int | None:
        times = {n.get("created_at") for n in self.notices}
        return int(next(iter(times))) if len(times) == 1 and None not in times else None  # type: ignore[arg-type]


def parse_export(raw: bytes) -> NoticesExport:
    """A canonical notices list, or ``{"as_of_block": n, "notices": [...]}``."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NoticesExportError(f"the notices export is not JSON: {exc}") from exc
    block = None
    if isinstance(data, dict):
        block = data.get("as_of_block")
        data = data.get("notices")
    if not isinstance(data, list) or not all(isinstance(n, dict) and "id" in n for n in data):
        raise NoticesExportError(
            "the notices export must be a JSON list of notices (each with an id), or an object "
            "with a `notices` list"
        )
    return NoticesExport(tuple(data), None if block is None else int(block))


@dataclass
class NoticesComparison:
    as_of_block: int
    as_of_time: int
    rule_version: int | None
    recomputed: int = 0
    exported: int = 0
    identical: bool = False
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    altered: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def recompute(
    events: Iterable[ChainEvent],
    *,
    as_of_block: int,
    as_of_time: int,
    schedule: Schedule,
    ruleset: RuleSet,
    version: int,
    roles: Mapping[str, Iterable[int]] | None,
    arbiters: Iterable[str] = (),
) -> list[Notice]:
    """The notices the engine gives over the chain's facts at ``as_of_block``."""
    upto = [e for e in events if e.block_number <= as_of_block]
    facts = fold_facts(upto, as_of_block=as_of_block, as_of_time=as_of_time, schedule=schedule)
    return evaluate(ruleset, version, facts, roles=roles, arbiters=arbiters)


def compare(
    recomputed: list[Notice], export: NoticesExport, result: NoticesComparison, found: Findings
) -> NoticesComparison:
    """Name every notice missing from, extra in, or altered in the export."""
    mine = {n.id: json.loads(canonical_json(n.to_dict())) for n in recomputed}
    theirs: dict[str, dict[str, Any]] = {}
    for n in export.notices:
        if n["id"] in theirs:
            found.add(
                "notices.duplicate", f"notice {n['id']} appears twice in the export", notice=n["id"]
            )
        theirs[str(n["id"])] = n
    result.recomputed, result.exported = len(mine), len(export.notices)
    for nid in sorted(set(mine) - set(theirs)):
        result.missing.append(nid)
        found.add(
            "notices.missing",
            f"notice {nid} ({mine[nid]['rule_id']} for {mine[nid]['resident']}) follows from the "
            "chain and the rule set but is not in the export",
            notice=nid,
            resident=mine[nid]["resident"],
            rule=mine[nid]["rule_id"],
        )
    for nid in sorted(set(theirs) - set(mine)):
        result.extra.append(nid)
        found.add(
            "notices.extra",
            f"notice {nid} is in the export but does not follow from the chain and the rule set",
            notice=nid,
            resident=theirs[nid].get("resident"),
            rule=theirs[nid].get("rule_id"),
        )
    for nid in sorted(set(mine) & set(theirs)):
        if canonical_json(mine[nid]) == canonical_json(theirs[nid]):
            continue
        fields = sorted(
            k for k in set(mine[nid]) | set(theirs[nid]) if mine[nid].get(k) != theirs[nid].get(k)
        )
        result.altered.append({"id": nid, "fields": fields})
        found.add(
            "notices.altered",
            f"notice {nid} differs from the recomputed one in {', '.join(fields)}",
            notice=nid,
            resident=mine[nid]["resident"],
            fields=fields,
        )
    result.identical = not (result.missing or result.extra or result.altered)
    return result
