"""The public rule-set pages: a published version's hash, URI, timing and diff, and the document
whose hash is on chain (see :mod:`credit.rule_documents` for where it is found)."""

from __future__ import annotations

import json

from credit.fold import StoredEvent
from credit.gateway.errors import ApiError
from credit.gateway.public_models import PublicRuleSet, RuleChange
from credit.gateway.public_pages import chain_ref, reader
from credit.gateway.services import Services
from credit.indexer import public_reads
from credit.rule_documents import DOCUMENT_PATH, find_document, known_files
from credit.ruleset import parse_ruleset
from credit.ruleset_diff import ruleset_diff


def rule_document(services: Services, version: int) -> bytes:
    """The canonical document of ``version`` whose hash is on chain; 404 if not published/held."""
    published = _published(services)
    event = published.get(version)
    if event is None:
        raise _no_version(version, published)
    content_hash, uri = event.args["contentHash"], event.args["terms"]["uri"]
    found = _document(services, content_hash)
    if found is None:
        raise ApiError(
            404,
            "no_rule_document",
            f"this service holds no document hashing to {content_hash} (rule set version "
            f"{version}): ask its publisher, or fetch it from {uri!r}",
        )
    return found


def rule_set_page(services: Services, version: int) -> PublicRuleSet:
    """Version ``version`` of the rules: hash, URI, timing, and the diff to the one before."""
    index = reader(services)
    published = _published(services)
    event = published.get(version)
    if event is None:
        raise _no_version(version, published)
    terms = event.args["terms"]
    now = index.position()[2]
    effective = sorted(v for v, e in published.items() if e.args["terms"]["effectiveAt"] <= now)
    in_force = effective[-1] if effective else 0
    status = (
        "in_force" if version == in_force else "pending" if version > in_force else "superseded"
    )
    document = _document(services, event.args["contentHash"])
    previous = version - 1 if version - 1 in published else None
    diff = None
    if previous is not None and document is not None:
        before = _document(services, published[previous].args["contentHash"])
        if before is not None:
            diff = [
                RuleChange(**c)
                for c in ruleset_diff(
                    parse_ruleset(json.loads(before), published=True),
                    parse_ruleset(json.loads(document), published=True),
                )
            ]
    return PublicRuleSet(
        version=version,
        content_hash=event.args["contentHash"],
        uri=terms["uri"],
        document_path=DOCUMENT_PATH.format(version=version),
        document_held=document is not None,
        published_at=int(terms["publishedAt"]),
        effective_at=int(terms["effectiveAt"]),
        status=status,  # type: ignore[arg-type]
        published=chain_ref(event),
        expiry_epochs=int(terms["expiryEpochs"]),
        appeal_window_seconds=int(terms["appealWindow"]),
        reward_per_point=str(terms["rewardPerPoint"]),
        epoch_reward_cap=str(terms["epochRewardCap"]),
        previous=previous,
        next=version + 1 if version + 1 in published else None,
        diff=diff,
    )


def _published(services: Services) -> dict[int, StoredEvent]:
    return {int(e.args["ruleVersion"]): e for e in public_reads.rule_set_events(reader(services))}


def _no_version(version: int, published: dict[int, StoredEvent]) -> ApiError:
    latest = max(published, default=0)
    return ApiError(
        404,
        "no_rule_version",
        f"rule set version {version} was never published: versions 1 to {latest} exist",
    )


def _document(services: Services, content_hash: str) -> bytes | None:
    settings = services.settings
    return find_document(
        content_hash, settings.rule_documents(), known_files(settings.ruleset_file)
    )
