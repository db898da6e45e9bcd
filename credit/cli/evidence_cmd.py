"""``credit evidence access-log``: the operator's export of who read which evidence."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Literal

import typer

evidence_app = typer.Typer(help="Evidence kept off chain: its access log.", no_args_is_help=True)
FIELDS = ("id", "at", "evidence_id", "owner", "reader", "capacity", "record_id", "purpose", "what")


@evidence_app.command("access-log")
def access_log(
    fmt: Annotated[
        Literal["json", "csv"], typer.Option("--format", help="json (a list) or csv")
    ] = "json",
    out: Annotated[
        Path | None, typer.Option("--out", help="write to this file instead of the terminal")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="only this owner's evidence")] = None,
    reader: Annotated[str | None, typer.Option(help="only this reader's reads")] = None,
) -> None:
    """Export the evidence access log from the gateway's database (CREDIT_DATABASE_URL), newest
    first. It holds who read which evidence, as what, for which record and why; no content."""
    from credit.gateway.evidence_access import access_rows
    from credit.settings import get_settings
    from credit.store.db import make_engine
    from credit.store.schema import create_schema

    engine = make_engine(get_settings().database)
    try:
        create_schema(engine)
        rows, _ = access_rows(engine, owner=owner, reader=reader, limit=None)
    finally:
        engine.dispose()
    text = render(rows, fmt)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {len(rows)} access-log rows to {out}", err=True)


def render(rows: list[dict[str, object]], fmt: str) -> str:
    """``rows`` as JSON (a list, times in ISO 8601) or CSV with a header line."""
    plain = [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items() if k in FIELDS}
        for r in rows
    ]
    if fmt == "json":
        return json.dumps(plain, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(plain)
    return buffer.getvalue()
