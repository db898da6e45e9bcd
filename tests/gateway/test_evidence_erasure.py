"""Erased evidence is gone from every file: no salt, digest or content left to match a commitment.

Issue 14, finding 11: erasure set the salt and digest columns to NULL, but SQLite kept the old row
in the database file's free space and in the write-ahead log, so the on-chain commitment could
still be matched. Each test erases one item among others, then reads every byte of every file
under the data directory (database, ``-wal``, ``-shm``, lock file, evidence files, and any other
name of the content file) looking for what must be gone; the others' salts must still be found,
so the scan can fail.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, delete, event, insert
from sqlalchemy.engine import Engine

from credit.gateway.app import create_app
from credit.gateway.evidence import EvidenceRecord, EvidenceStore
from credit.gateway.services import Services
from credit.store.db import make_engine
from credit.store.schema import create_schema
from credit.store.wal import Checkpointer, scrub
from tests.support.auth_helpers import sign_in
from tests.support.world import World, wait_until

A = "0x" + "aa" * 20


def files_holding(root: Path, needle: bytes) -> list[str]:
    """Every file under ``root`` whose bytes contain ``needle`` (relative names)."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and needle in path.read_bytes():
            found.append(str(path.relative_to(root)))
    return found


def secrets_of(store: EvidenceStore, record: EvidenceRecord, content: bytes) -> dict[str, bytes]:
    """What links ``record``'s commitment to its content: salt, content, and content digest."""
    _, _, salt = store.read(record.id, record.owner, frozenset())
    return {
        "salt": salt,
        "content": content,
        "sha256": hashlib.sha256(content).hexdigest().encode(),
    }


def unique_statement(label: str) -> bytes:
    return f"{label}: a statement no other file holds {secrets.token_hex(16)}".encode()


def assert_gone(root: Path, linked: dict[str, bytes]) -> None:
    left = {name: files_holding(root, needle) for name, needle in linked.items()}
    assert left == {name: [] for name in linked}, f"erased evidence still readable: {left}"


def _secure_delete_off(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA secure_delete=OFF")


def as_built_without_secure_delete(engine: Engine) -> Engine:
    """Debian builds SQLite with ``secure_delete`` on by default, other builds (python.org,
    macOS) do not: ``engine``'s connections start with it off, as there, so the engine's own
    settings must turn it on."""
    event.listen(engine, "connect", _secure_delete_off, insert=True)
    engine.dispose()
    return engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'gateway.sqlite'}", busy_timeout=0.5)
    create_schema(engine)
    return as_built_without_secure_delete(engine)


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(engine, tmp_path / "evidence", max_bytes=100_000)


@pytest.mark.parametrize(
    "checkpointed",
    [
        pytest.param(False, id="salt-only-in-the-log"),
        pytest.param(True, id="salt-copied-into-the-database-file"),
    ],
)
def test_erased_salt_digest_and_content_are_in_no_file(
    store: EvidenceStore, engine: Engine, tmp_path: Path, checkpointed: bool
) -> None:
    kept_content = unique_statement("kept")
    kept = store.put(A, kept_content, "text/plain")
    content = unique_statement("erased")
    victim = store.put(A, content, "text/plain")
    store.put(A, unique_statement("kept too"), "text/plain")
    linked = secrets_of(store, victim, content)
    if checkpointed:  # what the gateway's background checkpointer does every half second
        Checkpointer(engine).checkpoint()
    assert files_holding(tmp_path, linked["salt"]), "the scan must see the salt before erasure"

    store.erase(victim.id, A)

    assert_gone(tmp_path, linked)
    kept_salt = secrets_of(store, kept, kept_content)["salt"]
    assert files_holding(tmp_path, kept_salt), "the scan must still see evidence not erased"
    assert store.read(kept.id, A, frozenset())[1] == kept_content


def test_every_connection_zeroes_what_a_delete_frees(engine: Engine, tmp_path: Path) -> None:
    """An erasure's update happens to overwrite the old salt with the new, shorter row; a delete
    overwrites nothing: ``secure_delete`` zeroes it (and ``scrub`` empties the log)."""
    scratch = Table(
        "scratch", MetaData(), Column("id", Integer, primary_key=True), Column("v", LargeBinary)
    )
    scratch.create(engine)
    secret, kept = secrets.token_bytes(32), secrets.token_bytes(32)
    with engine.begin() as conn:
        conn.execute(insert(scratch), [{"id": 1, "v": kept}, {"id": 2, "v": secret}])
    Checkpointer(engine).checkpoint()
    with engine.begin() as conn:
        conn.execute(delete(scratch).where(scratch.c.id == 2))
    assert scrub(engine, "scratch") is True
    assert files_holding(tmp_path, secret) == []
    assert files_holding(tmp_path, kept) == ["gateway.sqlite"]


def test_another_name_or_an_open_handle_of_the_content_file_reads_nothing(
    store: EvidenceStore, tmp_path: Path
) -> None:
    """A hard-linked backup snapshot, or a process holding the file open, keeps an unlinked
    file's bytes: erasure overwrites them before it unlinks."""
    content = unique_statement("photo")
    victim = store.put(A, content, "text/plain")
    backup = tmp_path / "backup-snapshot"
    backup.mkdir()
    os.link(store.directory / f"{victim.id}.bin", backup / f"{victim.id}.bin")
    with (store.directory / f"{victim.id}.bin").open("rb") as held:
        store.erase(victim.id, A)
        assert content not in held.read()
    assert files_holding(tmp_path, content) == []


def test_erasure_while_a_reader_holds_an_old_snapshot_is_scrubbed_by_the_checkpointer(
    store: EvidenceStore, engine: Engine, tmp_path: Path
) -> None:
    """A long read keeps SQLite from emptying the log at erasure: the gateway's checkpointer
    finishes the job on its first run after the reader is gone."""
    content = unique_statement("erased under a reader")
    victim = store.put(A, content, "text/plain")
    linked = secrets_of(store, victim, content)
    reader = engine.connect()
    try:
        reader.exec_driver_sql("BEGIN")
        reader.exec_driver_sql("SELECT count(*) FROM evidence").one()  # holds its snapshot
        store.erase(victim.id, A)
    finally:
        reader.exec_driver_sql("COMMIT")
        reader.close()
    Checkpointer(engine).checkpoint()
    assert_gone(tmp_path, linked)


def test_erasure_over_http_leaves_nothing_in_the_data_directory(
    services: Services, gateway_world: World
) -> None:
    """The real app with its background checkpointer: DELETE /v1/evidence/{id}, then scan."""
    as_built_without_secure_delete(services.engine)
    services.background.append(Checkpointer(services.engine, every=0.05))
    root = services.settings.data_dir
    owner = gateway_world.residents[0]
    content = unique_statement("uploaded over http")
    with TestClient(create_app(services)) as api:
        headers = sign_in(api, owner.key)
        up = api.post(
            "/v1/evidence", content=content, headers={**headers, "Content-Type": "text/plain"}
        )
        assert up.status_code == 201, up.text
        ident = up.json()["id"]
        got = api.get(f"/v1/evidence/{ident}/content", headers=headers)
        salt = bytes.fromhex(got.headers["X-Evidence-Salt"][2:])
        assert files_holding(root, salt)
        erased = api.delete(f"/v1/evidence/{ident}", headers=headers)
        assert erased.status_code == 200 and erased.json()["erased"] is True
        linked = {
            "salt": salt,
            "content": content,
            "sha256": hashlib.sha256(content).hexdigest().encode(),
        }
        # the erasure empties the log at once unless a reader holds it (the access log's and
        # the indexer's connections may, on a busy machine); the checkpointer then does, in
        # 0.05 s turns: wait for that, however slow the machine, then scan
        left = lambda: any(files_holding(root, n) for n in linked.values())  # noqa: E731
        wait_until(lambda: not left(), 60)
        assert_gone(root, linked)


def test_erasing_again_finishes_an_erasure_a_crash_interrupted(
    store: EvidenceStore, engine: Engine, tmp_path: Path
) -> None:
    """The row was erased, then the process stopped before the file was: DELETE again."""
    content = unique_statement("left behind by a crash")
    victim = store.put(A, content, "text/plain")
    linked = secrets_of(store, victim, content)
    with engine.begin() as conn:  # what the erasure's transaction had committed
        conn.exec_driver_sql(
            "UPDATE evidence SET salt = NULL, sha256 = NULL, erased_at = CURRENT_TIMESTAMP "
            "WHERE id = ?",
            (victim.id,),
        )
    assert files_holding(tmp_path, content)
    store.erase(victim.id, A)
    assert_gone(tmp_path, linked)
