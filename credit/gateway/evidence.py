"""Evidence a resident attaches to a claim, kept off chain by the gateway.

On chain there is only ``keccak256(salt || content)``: without the salt nobody can link the
commitment to any content. Erasing removes the content and the salt, so after erasure the
commitment can no longer be linked to anything, by anyone, including the gateway: the content
file is overwritten with zeros before it is unlinked (another name or an open handle of it reads
zeros), and the database's files are scrubbed of the old row (:func:`credit.store.db.scrub`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from eth_utils import keccak
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from credit.errors import StoreError, StoreFull
from credit.gateway.errors import ApiError, Forbidden, NotFound
from credit.store.db import scrub, writer
from credit.store.evidence_tables import evidence

# Roles whose holders may read evidence to decide on a confirmation or an appeal. Peers may not:
# evidence can be personal, and a peer confirms what they saw, not what was uploaded.
READER_ROLES = frozenset({"SUPERIOR_ROLE", "PUBLIC_PANEL_ROLE", "EXPERT_ROLE", "ARBITER_ROLE"})
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
        return {
            "id": self.id,
            "owner": self.owner,
            "commitment": self.commitment,
            "media_type": self.media_type,
            "size": self.size,
            "created_at": self.created_at.isoformat(),
            "erased": self.erased_at is not None,
        }


def commitment_of(salt: bytes, content: bytes) -> str:
    """The on-chain commitment: keccak256(salt || content)."""
    return "0x" + keccak(salt + content).hex()


class EvidenceStore:
    """Evidence files under ``directory``, their salts and commitments in the database."""

    def __init__(self, engine: Engine, directory: Path, max_bytes: int) -> None:
        self.engine = engine
        self.directory = directory
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True)

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
            with self.engine.begin() as conn:
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
        """Content and salt for the owner or an official evaluator; erased evidence is gone."""
        record = self.get(ident)
        if viewer.lower() != record.owner and not (viewer_roles & READER_ROLES):
            raise Forbidden(
                "only the resident who uploaded it and official evaluators may read evidence"
            )
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
        finishes an erasure a crash interrupted)."""
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
        # the row first: a reader who finds it live reads the content, never the zeros
        if _shred(self._path(ident)) or erased:  # a repeated erasure costs no checkpoint
            scrub(self.engine, evidence.name)
        return self.get(ident)

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
