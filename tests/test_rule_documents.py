"""Rule documents kept by hash: served only when their bytes hash to what was asked for."""

from __future__ import annotations

from pathlib import Path

from credit.rule_documents import archive, document_uri, find_document
from credit.ruleset import DEFAULT_RULESET, RuleSet
from tests.support.ledger_flows import variant


def test_a_kept_document_is_found_by_its_hash_and_a_changed_one_is_not(
    ruleset: RuleSet, tmp_path: Path
) -> None:
    v2 = variant(ruleset, label="City rules v2")
    path = archive(v2, tmp_path)
    want = "0x" + v2.content_hash().hex()
    assert path.name == f"{want}.json" and archive(v2, tmp_path) == path  # idempotent
    assert find_document(want.upper().replace("0X", "0x"), tmp_path) == v2.canonical_json()
    path.write_bytes(path.read_bytes().replace(b"City rules v2", b"City rules v9"))
    assert find_document(want, tmp_path) is None  # bytes that no longer hash to it are refused
    # the repository's file, canonicalised, is found among the candidates
    v1 = "0x" + ruleset.content_hash().hex()
    assert find_document(v1, tmp_path, [DEFAULT_RULESET]) == ruleset.canonical_json()
    assert find_document(v1, None, []) is None


def test_the_published_uri_is_the_gateway_route() -> None:
    assert document_uri("https://credit.example.org/", 3) == (
        "https://credit.example.org/v1/public/rule-sets/3/document"
    )
