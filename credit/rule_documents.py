"""Where a published rule set's document can be fetched, and the copies a gateway serves.

Every version the rule book publishes carries a URI. Ours is the gateway's public route
``<base>/v1/public/rule-sets/<version>/document``, which serves the exact canonical bytes whose
keccak-256 is the version's on-chain content hash, so anyone can fetch the text and check it.

A gateway finds those bytes by hash: in its archive directory (``<hash>.json``, written by
``credit deploy`` and ``credit rules publish`` before they publish), else among the rule-set files
it was given (the file in force, the repository's ``rules/``), canonicalised. A copy is served
only if its hash is the one on chain. No chain access here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from eth_utils import keccak

from credit.errors import RuleError
from credit.ruleset import DEFAULT_RULESET, RuleSet, parse_ruleset

DOCUMENT_PATH = "/v1/public/rule-sets/{version}/document"


def document_uri(base_url: str, version: int) -> str:
    """The URI published on chain for ``version``: the gateway route under ``base_url``."""
    return base_url.rstrip("/") + DOCUMENT_PATH.format(version=version)


def _name(content_hash: str | bytes) -> str:
    hex_hash = content_hash.hex() if isinstance(content_hash, bytes) else content_hash
    return "0x" + hex_hash.lower().removeprefix("0x") + ".json"


def archive(ruleset: RuleSet, directory: Path) -> Path:
    """Keep the canonical bytes of ``ruleset`` in ``directory`` under their hash (idempotent)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / _name(ruleset.content_hash())
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(ruleset.canonical_json())
        tmp.replace(path)
    return path


def find_document(
    content_hash: str, directory: Path | None, candidates: Iterable[Path] = ()
) -> bytes | None:
    """The canonical bytes hashing to ``content_hash`` (0x hex), or None if none is held."""
    want = content_hash.lower()
    if directory is not None:
        path = directory / _name(want)
        if path.is_file():
            data = path.read_bytes()
            if "0x" + keccak(data).hex() == want:
                return data
    for candidate in candidates:
        try:
            ruleset = parse_ruleset(
                json.loads(candidate.read_text(encoding="utf-8")), published=True
            )
        except (OSError, ValueError, RuleError):
            continue
        if "0x" + ruleset.content_hash().hex() == want:
            return ruleset.canonical_json()
    return None


def known_files(ruleset_file: Path) -> list[Path]:
    """Rule-set files a gateway may look in: the one it runs with, then the repository's."""
    found = [ruleset_file]
    rules_dir = DEFAULT_RULESET.parent
    if rules_dir.is_dir():
        found += sorted(p for p in rules_dir.glob("*.json") if p != ruleset_file)
    return found
