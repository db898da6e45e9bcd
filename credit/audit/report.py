"""The audit report for machines: one JSON document, and the files the CLI writes.

Token amounts are strings (they exceed what JSON numbers carry exactly in most readers); every
discrepancy carries its evidence (transaction hash, block, log index, block time).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from credit.audit.checks import check, statuses
from credit.audit.html import render_html
from credit.audit.roles import LEDGER
from credit.audit.rules import lawful_start
from credit.audit.run import AuditResult

SCHEMA = "consensus-credit/audit-report-1"


def _rule_versions(result: AuditResult) -> list[dict[str, Any]]:
    notice = result.data.deployment.notice_period
    return [
        {
            "version": v.number,
            "content_hash": v.content_hash,
            "uri": v.uri,
            "published_at": v.published_at,
            "effective_at": v.effective_at,
            "lawful_start": lawful_start(v, notice),
            "categories": sorted(v.categories),
            "tx_hash": v.at.tx_hash,
            "block_number": v.at.block_number,
            "log_index": v.at.log_index,
        }
        for v in sorted(result.history.versions.values(), key=lambda v: v.number)
    ]


def _discrepancies(result: AuditResult) -> list[dict[str, Any]]:
    """Each discrepancy with its check's label, and the name of each evidence's event."""
    names = {e.pos: e.name for e in result.data.events}
    out = []
    for x in result.found.kept:
        row = x.to_dict()
        row["label"] = check(x.code).label
        for ev in row["evidence"]:
            ev["event"] = names.get((ev["block_number"], ev["log_index"]))
        out.append(row)
    return out


def _points_per_epoch(result: AuditResult) -> list[dict[str, int]]:
    """Points credited and deducted by violations, per epoch, over every resident."""
    earned: dict[int, int] = {}
    deducted: dict[int, int] = {}
    for book in result.books.residents.values():
        for epoch, n in book.earnings.items():
            earned[epoch] = earned.get(epoch, 0) + n
        for epoch, n in book.deducted.items():
            deducted[epoch] = deducted.get(epoch, 0) + n
    return [
        {"epoch": e, "credited": earned.get(e, 0), "deducted": deducted.get(e, 0)}
        for e in sorted(set(earned) | set(deducted))
    ]


def build_report(result: AuditResult, **extra: Any) -> dict[str, Any]:
    """The whole report as JSON-ready data; ``extra`` (timings, inputs) is added at the top."""
    data, books, q = result.data, result.books, result.quorum
    d = data.deployment
    records = books.records
    credits = [r for r in records if r.name == "RecordCredited"]
    residents = [
        {"address": a, "credit": mine, "credit_onchain": onchain}
        for a, (mine, onchain) in sorted(books.credits.items())
    ]
    report = {
        "schema": SCHEMA,
        "clean": result.clean,
        **extra,
        "deployment": {
            "chain_id": d.chain_id,
            "ledger": d.ledger,
            "rule_book": d.rule_book,
            "start_block": d.start_block,
            "epoch_length": d.epoch_length,
            "genesis": d.genesis,
            "notice_period": d.notice_period,
        },
        "audited": {"block": data.block, "block_time": data.block_time, "events": len(data.events)},
        "summary": {
            "discrepancies": result.found.total,
            "by_code": dict(sorted(result.found.counts.items())),
            "residents": len(residents),
            "records_credited": len(credits),
            "violations": len(records) - len(credits),
            "relayed_records": q.relayed,
            "direct_records": q.direct,
            "automated_records": q.automated,
            "unverifiable_records": q.unverifiable,
            "signatures_recovered": q.signatures,
            "rule_versions": len(result.history.versions),
            "role_changes": len(result.roles.changes),
            "appeal_decisions": len(result.appeals),
            "minted_total": str(result.rewards.minted_total),
            "total_supply": str(data.total_supply),
        },
        "discrepancies": _discrepancies(result),
        "warnings": result.warnings,
        "rule_versions": _rule_versions(result),
        "rule_files": result.rule_files,
        "role_changes": [c.to_dict() for c in result.roles.changes],
        "appeal_decisions": [
            {
                "record_id": a.record_id,
                "arbiter": a.arbiter,
                "overturned": a.overturned,
                "restored": a.restored,
                "tx_hash": a.at.tx_hash,
                "block_number": a.at.block_number,
                "log_index": a.at.log_index,
                "block_time": a.at.block_time,
            }
            for a in result.appeals
        ],
        "epochs": [
            {
                "epoch": e.epoch,
                "rule_version": e.version,
                "reward_per_point": None if e.rate is None else str(e.rate),
                "cap": None if e.cap is None else str(e.cap),
                "minted": str(e.minted),
                "payments": e.payments,
            }
            for _, e in sorted(result.rewards.epochs.items())
        ],
        "records_per_category_epoch": [
            {"category": c, "epoch": e, "records": n}
            for (c, e), n in sorted(books.per_category_epoch.items())
        ],
        "points_per_epoch": _points_per_epoch(result),
        "residents": residents,
        "notices": None if result.notices is None else result.notices.to_dict(),
        "poseidon_roots": [e.to_dict() for e in result.poseidon_roots],
        "contracts": {LEDGER: d.ledger, "RuleBook": d.rule_book},
    }
    report["checks"] = statuses(report)
    return report


def write_reports(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` into ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / "report.json", out / "report.html"
    json_path.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
    return json_path, html_path
