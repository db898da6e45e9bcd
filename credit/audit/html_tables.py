"""The detail tables of the HTML audit report: rule versions and files, role grants and revokes,
appeal decisions, rewards per epoch, the notices comparison, and every resident's credit."""

from __future__ import annotations

from html import escape
from typing import Any

from credit.audit.html_parts import date, full, path, role, short, table, tokens, when


def _notices(report: dict[str, Any]) -> str:
    n = report.get("notices")
    if not n:
        return '<p class="note">No notices export was given (--notices).</p>'
    verdict = "identical" if n["identical"] else "different"
    return (
        f"<p>Recomputed {n['recomputed']} notice(s) at block {n['as_of_block']} "
        f"({date(n['as_of_time'])}) under rule version {n['rule_version']}; the export has "
        f"{n['exported']}: <strong>{verdict}</strong>.</p>"
        + table(
            ("difference", "notice", "fields"),
            [("missing", full(i), "") for i in n["missing"]]
            + [("extra", full(i), "") for i in n["extra"]]
            + [("altered", full(a["id"]), escape(", ".join(a["fields"]))) for a in n["altered"]],
        )
    )


def tables(report: dict[str, Any]) -> list[str]:
    """The detail tables: rule versions, roles, appeals, rewards, notices, residents."""
    residents = sorted(report["residents"], key=lambda r: (-r["credit"], r["address"]))
    return [
        "<h2>Rule versions</h2>",
        table(
            (
                "version",
                "content hash",
                "published (UTC)",
                "in force from (UTC)",
                "categories",
                "tx",
            ),
            [
                (
                    v["version"],
                    short(v["content_hash"]),
                    when(v["published_at"]),
                    when(v["effective_at"]),
                    escape(", ".join(map(str, v["categories"]))),
                    short(v["tx_hash"]),
                )
                for v in report["rule_versions"]
            ],
            numeric=(0,),
        ),
        table(
            ("rule-set file", "hash", "published as version"),
            [
                (path(f["file"]), short(f["hash"]), escape(", ".join(map(str, f["versions"]))))
                for f in report["rule_files"]
            ],
            note="No rule-set file was given (--rules).",
        ),
        "<h2>Role grants and revokes</h2>",
        table(
            ("when (UTC)", "contract", "change", "role", "account", "by", "tx"),
            [
                (
                    when(c["block_time"]),
                    escape(c["contract"]),
                    "granted" if c["event"] == "RoleGranted" else "revoked",
                    role(c["role"]),
                    short(c["account"]),
                    short(c["by"]),
                    short(c["tx_hash"]),
                )
                for c in report["role_changes"]
            ],
        ),
        "<h2>Appeal decisions</h2>",
        table(
            ("when (UTC)", "record", "decision", "credit restored", "arbiter", "tx"),
            [
                (
                    when(a["block_time"]),
                    short(a["record_id"]),
                    "overturned" if a["overturned"] else "upheld",
                    f"{a['restored']:,}",
                    short(a["arbiter"]),
                    short(a["tx_hash"]),
                )
                for a in report["appeal_decisions"]
            ],
            numeric=(3,),
        ),
        "<h2>Rewards per epoch</h2>",
        table(
            ("epoch", "rule version", "reward per point", "cap", "minted", "payments"),
            [
                (
                    e["epoch"],
                    e["rule_version"],
                    tokens(e["reward_per_point"]),
                    tokens(e["cap"]),
                    tokens(e["minted"]),
                    e["payments"],
                )
                for e in report["epochs"]
            ],
            numeric=(0, 1, 2, 3, 4, 5),
        ),
        "<h2>Notices</h2>",
        _notices(report),
        "<h2>Residents</h2>",
        table(
            ("resident", "recomputed credit", "credit on chain", "agrees"),
            [
                (
                    short(r["address"]),
                    f"{r['credit']:,}",
                    "not read" if r["credit_onchain"] < 0 else f"{r['credit_onchain']:,}",
                    "yes"
                    if r["credit"] == r["credit_onchain"]
                    else '<strong class="status-failed">no</strong>',
                )
                for r in residents
            ],
            numeric=(1, 2),
        ),
    ]
