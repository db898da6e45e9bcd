"""A locked or full database: a clear 503 / 507, nothing lost or half written, no restart needed.

Real parts only: the app assembled by ``wire`` (indexer, relay, minter, evidence store running),
HTTP through the ASGI app, a real SQLite file. The lock is held by another process (``BEGIN
EXCLUSIVE``, as a backup job or a second gateway would); the full database is SQLite's own
``max_page_count`` limit on every connection the gateway checks out, which fails writes with
SQLITE_FULL exactly as a full disk does.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_keys import keys
from fastapi.testclient import TestClient
from sqlalchemy import event, select, text
from web3 import EthereumTesterProvider

from credit.chain.signing import Claim
from credit.compose import wire
from credit.gateway.app import create_app
from credit.gateway.evidence import commitment_of
from credit.gateway.rewards import RewardService
from credit.gateway.services import Services
from credit.relay.outbox import Hooks
from credit.relay.service import Relay
from credit.settings import Settings
from credit.store.evidence_tables import evidence
from credit.store.relay_tables import relay_claims, relay_outbox
from credit.store.reward_tables import reward_runs
from tests.support.auth_helpers import sign_in, signed_login
from tests.support.relay_helpers import confirm_body, credited_events, statuses, wait_credited
from tests.support.world import EPOCH, PEER, SUPERIOR, World, wait_until

BUSY = 2.0  # the gateway's busy timeout in these tests: long enough to wait out a short lock
UNLIMITED_PAGES = 1_073_741_823  # SQLite's default max_page_count
HOUR = 3600

LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
hold = float(sys.argv[2])
if hold > 0:
    time.sleep(hold)
else:
    sys.stdin.read()
conn.execute("ROLLBACK")
"""


@contextmanager
def exclusive_lock(db: Path, hold: float = 0.0) -> Iterator[subprocess.Popen[str]]:
    """Another process holds the write lock of ``db``: for ``hold`` seconds, or until exit."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db), str(hold)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(30)


class PageLimit:
    """``PRAGMA max_page_count`` on every connection the gateway checks out from its pool."""

    def __init__(self, services: Services) -> None:
        self.engine = services.engine
        self.pages = UNLIMITED_PAGES
        event.listen(self.engine, "checkout", self._apply)

    def _apply(self, dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA max_page_count = {self.pages}")
        cur.close()

    def fill_after(self, pages: int) -> None:
        """The database is full once it has grown by ``pages`` pages."""
        with self.engine.connect() as conn:
            self.pages = int(conn.execute(text("PRAGMA page_count")).scalar_one()) + pages

    def lift(self) -> None:
        self.pages = UNLIMITED_PAGES

    def close(self) -> None:
        event.remove(self.engine, "checkout", self._apply)


# ----------------------------------------------------------------------------------- fixtures
@pytest.fixture
def fault_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'gateway.sqlite'}",
        database_busy_timeout_seconds=BUSY,
        siwe_domain="testserver",
        siwe_uri="http://testserver",
        batch_window_seconds=0.05,
        signin_rate_per_minute=100_000,
        signin_rate_per_address_per_minute=100_000,
        max_waiting_claims_per_resident=1_000,  # one resident's claims fill the disk here
    )


@pytest.fixture
def wired(gateway_world: World, fault_settings: Settings) -> Iterator[Services]:
    """The gateway as ``credit serve`` assembles it, over the world's chain (rolled back after)."""
    provider = gateway_world.w3.provider
    assert isinstance(provider, EthereumTesterProvider)
    tester = provider.ethereum_tester
    snapshot = tester.take_snapshot()
    services = wire(fault_settings, gateway_world.system, gateway_world.ruleset)
    yield services
    services.stop()
    services.engine.dispose()
    tester.revert_to_snapshot(snapshot)
    gateway_world.reset_nonces()


@pytest.fixture
def db(fault_settings: Settings) -> Path:
    return Path(fault_settings.database.removeprefix("sqlite:///"))


@pytest.fixture
def api(wired: Services, gateway_world: World) -> Iterator[TestClient]:
    """HTTP through the real app; background workers run; the index has caught up."""
    with TestClient(create_app(wired)) as client:
        assert wait_until(lambda: _indexed(wired, gateway_world), 30)
        yield client


# ----------------------------------------------------------------------------------- helpers
def _indexed(services: Services, w: World) -> bool:
    return int(services.indexer.status()["block_number"]) >= w.w3.eth.block_number


def claim_body(
    w: World, resident: Any, nonce: int, evidence_commitment: str = "0x" + "00" * 32
) -> tuple[dict[str, Any], str]:
    """A resident's signed POST /v1/claims body (with an evidence commitment) and its id."""
    now = w.now()
    c = Claim(
        resident.address,
        1,
        1,
        now - 60 * (1 + nonce % 1440),  # one activity per nonce (twins are refused)
        nonce,
        bytes.fromhex(evidence_commitment[2:]),
        now + HOUR,
    )
    digest = c.record_id(w.system.domain)
    body = {
        "resident": resident.address,
        "category": 1,
        "units": 1,
        "occurred_at": c.occurred_at,
        "evidence": evidence_commitment,
        "nonce": nonce,
        "deadline": c.deadline,
        "signature": "0x" + keys.PrivateKey(resident.key).sign_msg_hash(digest).to_bytes().hex(),
    }
    return body, "0x" + digest.hex()


def upload(client: TestClient, headers: dict[str, str], content: bytes) -> Any:
    return client.post(
        "/v1/evidence", content=content, headers={**headers, "Content-Type": "text/plain"}
    )


def assert_store_error(response: Any, status: int, code: str) -> None:
    """The envelope of a refused write: status, code, a message saying nothing was stored."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    assert "nothing was stored" in error["message"], error
    if status == 503:
        assert int(response.headers["Retry-After"]) > 0


def assert_nothing_half_written(services: Services) -> None:
    """Every evidence row has its content file and every file its row; every outbox row holds
    the claims it sends and every queued/sent/settled claim points at an existing outbox row."""
    directory = services.settings.evidence_path
    with services.engine.connect() as conn:
        rows = conn.execute(select(evidence.c.id, evidence.c.erased_at)).all()
        outbox_ids = set(conn.execute(select(relay_outbox.c.id)).scalars())
        claimed = conn.execute(
            select(relay_claims.c.record_id, relay_claims.c.outbox_id, relay_claims.c.status)
        ).all()
    files = {p.name for p in directory.iterdir()}
    assert not [f for f in files if not f.endswith(".bin")], files  # no temporary files left
    assert {f"{r.id}.bin" for r in rows if r.erased_at is None} == files
    referenced = {c.outbox_id for c in claimed if c.outbox_id is not None}
    assert referenced <= outbox_ids
    assert outbox_ids <= referenced, "an outbox row with no claim"
    unsent = [c for c in claimed if c.status in ("queued", "sent") and c.outbox_id is None]
    assert not unsent


# ------------------------------------------------------------------------------------ locked
def test_a_busy_timeout_is_set(wired: Services, fault_settings: Settings) -> None:
    with wired.engine.connect() as conn:
        waited = conn.execute(text("PRAGMA busy_timeout")).scalar_one()
    assert waited == BUSY * 1000
    assert Settings().database_busy_timeout_seconds >= 5  # production waits out short locks


def test_a_short_lock_is_waited_out(
    api: TestClient, wired: Services, gateway_world: World, db: Path
) -> None:
    w, ana = gateway_world, gateway_world.residents[0]
    body, rid = claim_body(w, ana, w.ledger.functions.claimNonce(ana.address).call())
    with exclusive_lock(db, hold=0.3):
        started = time.monotonic()
        response = api.post("/v1/claims", json=body)
        waited = time.monotonic() - started
    assert response.status_code == 202, response.text
    assert waited >= 0.15, "the write must have waited for the lock, not skipped it"
    assert statuses(wired)[rid] == "waiting"


def test_locked_database_answers_503_then_the_same_requests_succeed(
    api: TestClient, wired: Services, gateway_world: World, db: Path
) -> None:
    w = gateway_world
    ana, bo = w.residents[0], w.residents[1]
    headers = sign_in(api, ana.key)
    first = upload(api, headers, b"Ana's statement: 3 h at the food bank")
    assert first.status_code == 201, first.text
    nonce = w.ledger.functions.claimNonce(ana.address).call()
    body1, rid1 = claim_body(w, ana, nonce, first.json()["commitment"])
    assert api.post("/v1/claims", json=body1).status_code == 202
    body2, rid2 = claim_body(w, ana, nonce + 1)
    login = signed_login(api, bo.key)  # its nonce was issued before the lock

    with exclusive_lock(db):
        started = time.monotonic()
        assert_store_error(api.post("/v1/claims", json=body2), 503, "database_busy")
        assert time.monotonic() - started >= BUSY * 0.9, "refused only after the busy timeout"
        assert_store_error(upload(api, headers, b"second statement"), 503, "database_busy")
        assert_store_error(api.post("/v1/auth/login", json=login), 503, "database_busy")
        # reads go on during another writer's lock (WAL)
        assert api.get(f"/v1/claims/{rid1}", headers=headers).json()["status"] == "waiting"
        assert_nothing_half_written(wired)

    # the very same requests, once the lock is gone
    assert api.post("/v1/claims", json=body2).status_code == 202
    second = upload(api, headers, b"second statement")
    assert second.status_code == 201, second.text
    signed_in = api.post("/v1/auth/login", json=login)
    assert signed_in.status_code == 200, signed_in.text
    bearer = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    assert api.get("/v1/auth/me", headers=bearer).json()["address"] == bo.address
    # nothing accepted before the lock was lost
    assert statuses(wired) == {rid1: "waiting", rid2: "waiting"}
    got = api.get(f"/v1/evidence/{first.json()['id']}/content", headers=headers)
    assert got.content == b"Ana's statement: 3 h at the food bank"
    salt = bytes.fromhex(got.headers["X-Evidence-Salt"][2:])
    assert commitment_of(salt, got.content) == first.json()["commitment"]
    assert_nothing_half_written(wired)


# -------------------------------------------------------------------------------------- full
@pytest.fixture
def limit(wired: Services) -> Iterator[PageLimit]:
    page_limit = PageLimit(wired)
    yield page_limit
    page_limit.close()


def test_full_database_answers_507_keeps_what_it_accepted_and_recovers(
    api: TestClient, wired: Services, gateway_world: World, limit: PageLimit
) -> None:
    w = gateway_world
    ana, bo = w.residents[0], w.residents[1]
    headers = sign_in(api, ana.key)
    accepted: dict[str, list[Any]] = {"claim": [], "evidence": [], "signin": []}
    refused: Counter[str] = Counter()
    last_refused: dict[str, Any] = {}
    nonce = w.ledger.functions.claimNonce(ana.address).call()
    commitment = "0x" + "00" * 32
    limit.fill_after(2)
    for i in range(600):
        kind = ("evidence", "claim", "signin")[i % 3]
        if kind == "evidence":
            content = f"statement {i}: swept the square by the market".encode()
            r = upload(api, headers, content)
            if r.status_code == 201:
                accepted["evidence"].append((r.json(), content))
                commitment = r.json()["commitment"]
            request: Any = content
        elif kind == "claim":
            request, rid = claim_body(w, ana, nonce + len(accepted["claim"]), commitment)
            r = api.post("/v1/claims", json=request)
            if r.status_code == 202:
                accepted["claim"].append(rid)
        else:  # a nonce (a write), then the sign-in that consumes it (two writes)
            request = None
            r = api.post("/v1/auth/nonce")
            if r.status_code == 200:
                request = signed_login(api, bo.key)
                r = api.post("/v1/auth/login", json=request)
                if r.status_code == 200:
                    accepted["signin"].append(r.json()["token"])
        assert r.status_code in (200, 201, 202, 507), (kind, r.status_code, r.text)
        if r.status_code == 507:
            assert_store_error(r, 507, "database_full")
            refused[kind] += 1
            if request is not None:
                last_refused[kind] = request
        if all(refused[k] >= 2 for k in accepted):
            break
    assert set(refused) == set(accepted), f"not every kind of write filled up: {refused}"
    assert all(accepted.values()), f"nothing was accepted before the limit: {accepted}"

    # still full: everything that got a 2xx is there and intact, nothing half written
    assert_nothing_half_written(wired)
    stored = statuses(wired)
    assert all(stored[rid] == "waiting" for rid in accepted["claim"])
    assert len(stored) == len(accepted["claim"])
    for record, content in accepted["evidence"]:
        got = api.get(f"/v1/evidence/{record['id']}/content", headers=headers)
        assert got.status_code == 200 and got.content == content
        salt = bytes.fromhex(got.headers["X-Evidence-Salt"][2:])
        assert commitment_of(salt, content) == record["commitment"]
    for token in accepted["signin"]:
        me = api.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text

    # space is freed: the same gateway, without a restart, takes the refused requests
    limit.lift()
    r = api.post("/v1/claims", json=last_refused["claim"])
    assert r.status_code == 202, r.text
    accepted["claim"].append(r.json()["record_id"])
    assert upload(api, headers, last_refused["evidence"]).status_code == 201
    if "signin" in last_refused:
        assert api.post("/v1/auth/login", json=last_refused["signin"]).status_code == 200

    # and every claim it ever accepted is relayed and credited on chain
    start = w.w3.eth.block_number
    ids = sorted(accepted["claim"])
    # one confirmation per claim: one naming several claims of a resident is relayable only if
    # their ids ascend with their nonces (see credit/relay/plan.py)
    for rid in accepted["claim"]:
        for evaluator, kind in ((w.superior, SUPERIOR), (bo, PEER)):
            r = api.post("/v1/confirmations", json=confirm_body(w, evaluator, kind, [rid]))
            assert r.status_code == 202, r.text
    wait_credited(wired, ids, timeout=60)
    assert sorted(credited_events(w, start)) == ids
    assert_nothing_half_written(wired)


# ------------------------------------------------------------------------- background workers
def test_indexer_survives_a_locked_database(
    api: TestClient,
    wired: Services,
    gateway_world: World,
    db: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    w = gateway_world
    caplog.set_level(logging.WARNING, logger="credit.indexer.indexer")
    with exclusive_lock(db):
        w.credit_one(w.residents[2], 1, 2)  # new events for the indexer to store
        assert wait_until(
            lambda: any("database is busy" in r.getMessage() for r in caplog.records), 30
        ), "the indexer should have met the lock and said so"
        assert wired.indexer.running
        assert not _indexed(wired, w)
    assert wait_until(lambda: _indexed(wired, w), 30), "the indexer must resume after the lock"
    assert wired.indexer.running
    credits = [
        c for c in wired.indexer.facts().credits if c.resident == w.residents[2].address.lower()
    ]
    assert credits, "the events seen during the lock were indexed after it"
    busy = [r for r in caplog.records if "database is busy" in r.getMessage()]
    assert all(r.exc_info is None for r in busy), "an expected fault is one line, no traceback"


def test_relay_signer_survives_a_lock_between_storing_and_settling(
    gateway_world: World, wired: Services, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The lock is taken right after the signed transaction is stored, before it is broadcast:
    the signer cannot record the broadcast nor settle it until the lock goes; it must neither die
    nor send the transaction twice, and the claims end up credited."""
    w = gateway_world
    ana, bo = w.residents[0], w.residents[1]
    caplog.set_level(logging.WARNING, logger="credit.relay.outbox")
    lockers: list[Any] = []

    def lock_once(_outbox_id: int) -> None:
        if not lockers:
            lockers.append(exclusive_lock(db, hold=BUSY + 1.5))
            lockers[0].__enter__()

    relay = Relay(wired, hooks=Hooks(after_store=lock_once))
    wired.background[wired.background.index(wired.relay)] = relay
    wired.relay = relay
    relayer_nonce = w.w3.eth.get_transaction_count(wired.relayer.address)
    try:
        with TestClient(create_app(wired)) as api:
            body, rid = claim_body(w, ana, w.ledger.functions.claimNonce(ana.address).call())
            assert api.post("/v1/claims", json=body).status_code == 202
            for evaluator, kind in ((w.superior, SUPERIOR), (bo, PEER)):
                r = api.post("/v1/confirmations", json=confirm_body(w, evaluator, kind, [rid]))
                assert r.status_code == 202, r.text
            wait_credited(wired, [rid], timeout=60)
            assert relay.signer.alive
    finally:
        for locker in lockers:
            locker.__exit__(None, None, None)
    assert lockers, "the hook never ran: no batch was stored"
    assert w.w3.eth.get_transaction_count(wired.relayer.address) == relayer_nonce + 1
    busy = [r for r in caplog.records if r.name == "credit.relay.outbox"]
    assert any("database is busy" in r.getMessage() for r in busy), busy
    assert_nothing_half_written(wired)


def test_minter_survives_a_locked_database(
    gateway_world: World,
    wired: Services,
    fault_settings: Settings,
    db: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A reward run that meets a locked database is paused and resumed, never marked failed, and
    the minter thread lives on (before, recording the failure itself failed and killed it)."""
    w = gateway_world
    caplog.set_level(logging.WARNING, logger="credit.gateway.rewards")
    epoch = w.epoch()
    for resident in w.residents[:3]:  # (a run paying a single resident runs out of gas)
        w.credit_one(resident, 1, 2)
    w.advance(EPOCH + 1)
    # accepted by a previous gateway process: this one resumes it when it starts
    previous = RewardService(wired, Account.from_key(fault_settings.minter_private_key()))
    status, run = previous.request("locked-run", epoch)
    assert status == 202
    seen: set[str] = set()

    def done() -> bool:
        seen.add(_run_status(wired, run["id"]))
        return "done" in seen

    # held past two busy timeouts: both the run's first write and any attempt to record a
    # failure meet the lock
    with exclusive_lock(db, hold=2 * BUSY + 2), TestClient(create_app(wired)):
        assert wait_until(done, 30), seen
        assert wired.rewards._thread is not None and wired.rewards._thread.is_alive()
    assert not [s for s in seen if s.startswith("failed")], seen
    assert all(w.ledger.functions.balanceOf(r.address).call() > 0 for r in w.residents[:3])
    assert any("database is busy" in r.getMessage() for r in caplog.records)


def _run_status(services: Services, run_id: int) -> str:
    with services.engine.connect() as conn:
        row = conn.execute(
            select(reward_runs.c.status, reward_runs.c.error).where(reward_runs.c.id == run_id)
        ).one()
    return str(row.status) if row.status != "failed" else f"failed: {row.error}"


# ------------------------------------------------------------------------- a real full disk
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs (root only; skipped where mounting is not allowed), unmounted after."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        if subprocess.run(["umount", str(disk)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_answers_507_and_recovers_when_space_is_freed(
    gateway_world: World, small_disk: Path
) -> None:
    """The database and the evidence files on a disk that fills up for real (ENOSPC)."""
    w = gateway_world
    ana = w.residents[0]
    settings = Settings(
        data_dir=small_disk,
        database_url=f"sqlite:///{small_disk / 'gateway.sqlite'}",
        evidence_dir=small_disk / "evidence",
        database_busy_timeout_seconds=BUSY,
        siwe_domain="testserver",
        siwe_uri="http://testserver",
        batch_window_seconds=0.05,
    )
    provider = w.w3.provider
    assert isinstance(provider, EthereumTesterProvider)
    snapshot = provider.ethereum_tester.take_snapshot()
    services = wire(settings, w.system, w.ruleset)
    filler = small_disk / "filler"
    try:
        with TestClient(create_app(services)) as api:
            headers = sign_in(api, ana.key)
            before = upload(api, headers, b"kept: statement written before the disk filled")
            assert before.status_code == 201, before.text
            nonce = w.ledger.functions.claimNonce(ana.address).call()
            body1, rid1 = claim_body(w, ana, nonce, before.json()["commitment"])
            assert api.post("/v1/claims", json=body1).status_code == 202
            with filler.open("wb", buffering=0) as out:  # take every free block
                try:  # unbuffered: closing has nothing left to flush onto the full disk
                    while out.write(b"\0" * 65536):
                        pass
                except OSError:
                    pass
            statement = b"a statement uploaded while the disk is full" * 50
            assert_store_error(upload(api, headers, statement), 507, "database_full")
            body2, rid2 = claim_body(w, ana, nonce + 1)
            claimed = api.post("/v1/claims", json=body2)  # may still fit in the WAL's pages
            assert claimed.status_code in (202, 507), claimed.text
            assert_nothing_half_written(services)
            assert statuses(services)[rid1] == "waiting"

            filler.unlink()  # space freed: the same gateway takes the same requests
            assert upload(api, headers, statement).status_code == 201
            if claimed.status_code == 507:
                assert api.post("/v1/claims", json=body2).status_code == 202
            assert set(statuses(services)) == {rid1, rid2}
            got = api.get(f"/v1/evidence/{before.json()['id']}/content", headers=headers)
            assert got.content == b"kept: statement written before the disk filled"
            assert_nothing_half_written(services)
    finally:
        services.stop()
        services.engine.dispose()
        provider.ethereum_tester.revert_to_snapshot(snapshot)
        w.reset_nonces()
