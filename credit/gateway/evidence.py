"""Evidence a resident attaches to a claim, kept off chain by the gateway.

On chain there is only ``keccak256(salt || content)``: without the salt nobody can link the
commitment to any content. Erasing removes the content and the salt, so after erasure the
commitment can no longer be linked to anything, by anyone, including the gateway: the content
file is overwritten with zeros before it is unlinked (another name or an open handle of it reads
zeros), and the database's files are scrubbed of the old row (:func:`credit.store.wal.scrub`).

Uploads are bounded: each account keeps at most ``quota_items`` items and ``quota_bytes`` bytes
of evidence not erased, everyone together ``budget_bytes`` (erasure frees room). The check and
the row are written in one transaction that writes first (the usage row: SQLite's write lock, or
PostgreSQL's row lock, is held from its first statement), so concurrent uploads cannot pass a
limit together, and a refused upload leaves no file and no row.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from eth_utils import keccak
from sqlalchemy import Update, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from credit.chain.roles import ARBITER, EXPERT, PUBLIC_PANEL, RESIDENT, SUPERIOR
from credit.errors import StoreError, StoreFull
from credit.gateway.errors import ApiError, Forbidden, NotFound
from credit.settings import Settings
from credit.store.db import writer
from credit.store.evidence_tables import evidence, evidence_usage
from credit.store.wal import scrub

# Roles whose holders may read evidence to decide on a confirmation or an appeal. Peers may not:
# evidence can be personal, and a peer confirms what they saw, not what was uploaded.
READER_ROLES = frozenset({"SUPERIOR_ROLE", "PUBLIC_PANEL_ROLE", "EXPERT_ROLE", "ARBITER_ROLE"})
# Who may upload (gateway role names): those whose signed records carry an evidence commitment:
# residents (claims, appeal statements) and the officials who report violations or decide appeals.
# Anyone else (any key can sign in) could only fill the disk.
UPLOADER_ROLES = frozenset({RESIDENT, SUPERIOR, PUBLIC_PANEL, EXPERT, ARBITER})
ALLOWED_TYPES = frozenset(
    {"text/plain", "image/png", "image/jpeg", "application/pdf", "application/octet-stream"}
)


@dataclass(frozen=True)
class EvidenceRecord:
    id: str
    owner: str
    commitment: str
    media_type: str
    size: int
    created_at: datetime
    erased_at: datetime | None

    def public(self) -> dict[str, object]:
        """The fields, ``created_at`` in ISO 8601 and ``erased`` in place of ``erased_at``."""
        shown: dict[str, object] = asdict(self)
        del shown["erased_at"]
        return {
            **shown,
            "created_at": self.created_at.isoformat(),
            "erased": self.erased_at is not None,
        }


def commitment_of(salt: bytes, content: bytes) -> str:
    """The on-chain commitment: keccak256(salt || content)."""
    return "0x" + keccak(salt + content).hex()


class EvidenceStore:
    """Evidence files under ``directory``, their salts and commitments in the database."""

    def __init__(
        self,
        engine: Engine,
        directory: Path,
        max_bytes: int,
        *,
        quota_items: int | None = None,
        quota_bytes: int | None = None,
        budget_bytes: int | None = None,
    ) -> None:
        self.engine = engine
        self.directory = directory
        self.max_bytes = max_bytes
        self.quota_items = quota_items  # None: no limit (a store outside the gateway)
        self.quota_bytes = quota_bytes
        self.budget_bytes = budget_bytes
        directory.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> EvidenceStore:
        """The gateway's store: ``evidence_path``, the item size limit, quotas and budget."""
        return cls(
            engine,
            settings.evidence_path,
            settings.max_evidence_bytes,
            quota_items=settings.evidence_quota_items,
            quota_bytes=settings.evidence_quota_bytes,
            budget_bytes=settings.evidence_budget_bytes,
        )

    def put(self, owner: str, content: bytes, media_type: str) -> EvidenceRecord:
        """Store ``content`` for ``owner`` and return its record (with the commitment)."""
        if len(content) > self.max_bytes:
            raise ApiError(
                413, "payload_too_large", f"evidence is limited to {self.max_bytes} bytes"
            )
        if not content:
            raise ApiError(422, "empty_evidence", "the evidence is empty")
        if media_type not in ALLOWED_TYPES:
            raise ApiError(
                415,
                "unsupported_media_type",
                f"evidence must be one of {', '.join(sorted(ALLOWED_TYPES))}",
            )
        with self.engine.connect() as conn:  # refuse early, before writing the file
            total = conn.execute(
                select(evidence_usage.c.live_bytes).where(evidence_usage.c.id == 1)
            ).scalar_one()
            self._check_room(conn, owner, len(content), total)
        salt = secrets.token_bytes(32)
        ident = secrets.token_hex(16)
        now = datetime.now(UTC)
        path = self._path(ident)
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_bytes(content)
            os.replace(tmp, path)  # the file exists before the row that points at it
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StoreFull(
                    "the evidence store's disk is full: nothing was stored; an operator must "
                    "free disk space, then the same upload can be sent again"
                ) from exc
            raise
        row = {
            "id": ident,
            "owner": owner.lower(),
            "commitment": commitment_of(salt, content),
            "salt": salt,
            "media_type": media_type,
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "created_at": now,
            "erased_at": None,
        }
        try:
            with writer(self.engine), self.engine.begin() as conn:
                # a write first: the transaction holds SQLite's write lock (or, on PostgreSQL,
                # the usage row) from here, so no other upload checks against the same totals
                moved = _usage_moved(+1, len(content)).returning(evidence_usage.c.live_bytes)
                total = conn.execute(moved).scalar_one() - len(content)
                self._check_room(conn, owner, len(content), total)  # refused: all rolled back
                conn.execute(insert(evidence).values(**row))
        except BaseException:
            path.unlink(missing_ok=True)  # no content is kept without the row that owns it
            raise
        return self._record(row)

    def get(self, ident: str) -> EvidenceRecord:
        with self.engine.connect() as conn:
            row = conn.execute(select(evidence).where(evidence.c.id == ident)).mappings().first()
        if row is None:
            raise NotFound(f"no evidence {ident}")
        return self._record(dict(row))

    def read(
        self, ident: str, viewer: str, viewer_roles: frozenset[str]
    ) -> tuple[EvidenceRecord, bytes, bytes]:
        """Content and salt for the owner or an official evaluator; erased evidence is gone.

        The gateway's routes decide more narrowly, per record, and log each read
        (:mod:`credit.gateway.evidence_access`); this check is for callers outside them."""
        record = self.get(ident)
        if viewer.lower() != record.owner and not (viewer_roles & READER_ROLES):
            raise Forbidden(
                "only the resident who uploaded it and official evaluators may read evidence"
            )
        return self.open(record)

    def find(self, commitment: str) -> EvidenceRecord | None:
        """The evidence item with this on-chain commitment, if it was uploaded here."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(evidence).where(evidence.c.commitment == commitment.lower()))
                .mappings()
                .first()
            )
        return None if row is None else self._record(dict(row))

    def open(self, record: EvidenceRecord) -> tuple[EvidenceRecord, bytes, bytes]:
        """Content and salt of ``record``, whoever asks (the caller has decided): 410 if erased,
        even if the erasure began while reading."""
        ident = record.id
        gone = ApiError(410, "erased", "the resident erased this evidence")
        if record.erased_at is not None:
            raise gone
        try:
            content = self._path(ident).read_bytes()
        except FileNotFoundError:
            content = None
        # after reading the file: if the row is still live, no erasure had begun to zero it
        with self.engine.connect() as conn:
            salt, erased_at = conn.execute(
                select(evidence.c.salt, evidence.c.erased_at).where(evidence.c.id == ident)
            ).one()
        if erased_at is not None:
            raise gone
        if content is None:
            raise StoreError(
                f"the content of evidence {ident} is missing from {self.directory}: an operator "
                "must restore the evidence directory from its backup"
            )
        return record, content, bytes(salt)

    def erase(self, ident: str, owner: str) -> EvidenceRecord:
        """Erase content and salt from every file. Only the owner; idempotent (erasing again
        finishes an erasure a crash interrupted). Frees the owner's quota."""
        record = self.get(ident)
        if owner.lower() != record.owner:
            raise Forbidden("only the resident who uploaded evidence may erase it")
        erased = 0
        if record.erased_at is None:
            with writer(self.engine), self.engine.begin() as conn:
                erased = conn.execute(
                    update(evidence)
                    .where(evidence.c.id == ident, evidence.c.erased_at.is_(None))
                    .values(salt=None, sha256=None, erased_at=datetime.now(UTC))
                ).rowcount
                if erased == 1:
                    conn.execute(_usage_moved(-1, -record.size))
        # the row first: a reader who finds it live reads the content, never the zeros
        if _shred(self._path(ident)) or erased:  # a repeated erasure costs no checkpoint
            scrub(self.engine, evidence.name)
        return self.get(ident)

    def _check_room(self, conn: Connection, owner: str, size: int, total: int) -> None:
        """Refuse (413) an upload of ``size`` bytes by ``owner`` that would pass their quota or
        the total budget, with ``total`` bytes of evidence kept by everyone before it."""
        items, used = conn.execute(
            select(func.count(), func.coalesce(func.sum(evidence.c.size), 0)).where(
                evidence.c.owner == owner.lower(), evidence.c.erased_at.is_(None)
            )
        ).one()
        erase_hint = "erase evidence you no longer need (DELETE /v1/evidence/{id}), then retry"
        if self.quota_items is not None and items + 1 > self.quota_items:
            raise ApiError(
                413,
                "evidence_quota_exceeded",
                f"you keep {items} evidence items, the most one account may keep: {erase_hint}",
                {"limit": "items", "used": items, "quota": self.quota_items},
            )
        if self.quota_bytes is not None and used + size > self.quota_bytes:
            raise ApiError(
                413,
                "evidence_quota_exceeded",
                f"you keep {used} bytes of evidence and this upload has {size}: one account may "
                f"keep {self.quota_bytes}; {erase_hint}",
                {"limit": "bytes", "used": used, "quota": self.quota_bytes, "size": size},
            )
        if self.budget_bytes is not None and total + size > self.budget_bytes:
            raise ApiError(
                413,
                "evidence_budget_exhausted",
                "the gateway's evidence storage is full for everyone: nothing was stored; tell "
                "the city's operator (the budget is CREDIT_EVIDENCE_BUDGET_BYTES), or erase "
                "evidence you no longer need",
                {"limit": "budget", "size": size},
            )

    def _path(self, ident: str) -> Path:
        return self.directory / f"{ident}.bin"

    @staticmethod
    def _record(row: dict[str, object]) -> EvidenceRecord:
        return EvidenceRecord(
            id=str(row["id"]),
            owner=str(row["owner"]),
            commitment=str(row["commitment"]),
            media_type=str(row["media_type"]),
            size=int(row["size"]),  # type: ignore[call-overload]
            created_at=row["created_at"],  # type: ignore[arg-type]
            erased_at=row["erased_at"],  # type: ignore[arg-type]
        )


def _usage_moved(items: int, size: int) -> Update:
    """The usage row's update by ``items`` items and ``size`` bytes (negative when erasing)."""
    return (
        update(evidence_usage)
        .where(evidence_usage.c.id == 1)
        .values(
            live_items=evidence_usage.c.live_items + items,
            live_bytes=evidence_usage.c.live_bytes + size,
        )
    )


def _shred(path: Path) -> bool:
    """Overwrite ``path`` with zeros, sync, unlink. Unlinking alone leaves the bytes to any other
    name (a hard-linked backup) or open handle of the file, and in the disk's free blocks; the
    sync matters: the zeros of a file unlinked before write-back may never reach the disk. (On a
    copy-on-write file system or behind an SSD's remapping the old blocks may still survive.)
    False if there was no file."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return False
    try:
        left = os.fstat(fd).st_size
        zeros = bytes(min(left, 1 << 20))
        while left > 0:
            left -= os.write(fd, zeros[: min(left, len(zeros))])
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink(missing_ok=True)
    return True
