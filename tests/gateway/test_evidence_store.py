"""Evidence stays off chain: a salted commitment, readable by few, erasable by its owner."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils import keccak
from sqlalchemy import text

from credit.gateway.errors import ApiError, Forbidden, NotFound
from credit.gateway.evidence import EvidenceStore, commitment_of
from credit.store.db import make_engine
from credit.store.schema import create_schema

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


A = "0x" + "aa" * 20
B = "0x" + "bb" * 20


@pytest.fixture
def store(tmp_path: Path, database_url: str) -> EvidenceStore:
    engine = make_engine(database_url)
    create_schema(engine)
    return EvidenceStore(engine, tmp_path / "evidence", max_bytes=1000)


def test_commitment_binds_salt_and_content(store: EvidenceStore) -> None:
    rec = store.put(A, b"photo of the clean park", "text/plain")
    _, content, salt = store.read(rec.id, A, frozenset())
    assert content == b"photo of the clean park"
    assert rec.commitment == "0x" + keccak(salt + content).hex() == commitment_of(salt, content)
    # the same content uploaded twice gets unrelated commitments (fresh salt each time)
    assert store.put(A, content, "text/plain").commitment != rec.commitment


def test_only_owner_and_officials_read(store: EvidenceStore) -> None:
    rec = store.put(A, b"x", "text/plain")
    with pytest.raises(Forbidden):
        store.read(rec.id, B, frozenset({"REGISTRAR_ROLE"}))
    assert store.read(rec.id, B, frozenset({"SUPERIOR_ROLE"}))[1] == b"x"
    with pytest.raises(NotFound):
        store.read("nope", A, frozenset())


def test_erasure_unlinks_the_commitment_for_good(store: EvidenceStore, tmp_path: Path) -> None:
    rec = store.put(A, b"my statement", "text/plain")
    with pytest.raises(Forbidden):
        store.erase(rec.id, B)
    erased = store.erase(rec.id, A)
    assert erased.erased_at is not None and erased.commitment == rec.commitment
    assert not any((tmp_path / "evidence").iterdir()), "the content file must be gone"
    with pytest.raises(ApiError) as exc:
        store.read(rec.id, A, frozenset())
    assert exc.value.status == 410
    # nothing left in the database links the commitment to content: no salt, no digest
    with store.engine.connect() as conn:
        row = conn.execute(
            text("SELECT salt, sha256 FROM evidence WHERE id = :id"), {"id": rec.id}
        ).one()
    assert row == (None, None)
    assert store.erase(rec.id, A).erased_at == erased.erased_at  # idempotent


@pytest.mark.parametrize(
    ("content", "media", "status"),
    [
        pytest.param(b"x" * 1001, "text/plain", 413, id="too-large"),
        pytest.param(b"", "text/plain", 422, id="empty"),
        pytest.param(b"x", "application/x-msdownload", 415, id="bad-type"),
    ],
)
def test_bad_uploads_are_refused(
    store: EvidenceStore, content: bytes, media: str, status: int
) -> None:
    with pytest.raises(ApiError) as exc:
        store.put(A, content, media)
    assert exc.value.status == status
