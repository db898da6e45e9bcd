"""The indexer against a real EVM: facts match the chain, restarts, reorgs, depth, look-alikes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from credit.artifacts import Artifact
from credit.chain.events import EventSource
from credit.errors import ChainError
from credit.facts import ViolationStatus
from credit.fold import expiry_in_force
from credit.gateway.services import Services
from credit.indexer import Indexer, RuleVersion
from credit.store.index_tables import index_blocks, index_cursor, index_events
from tests.support.ledger_flows import (
    ZERO32,
    appeal,
    credit,
    publish,
    relay_violation,
    resolve,
    variant,
)
from tests.support.world import EPOCH, NOTICE, PEER, SUPERIOR, World

pytestmark = pytest.mark.engines  # SQLite and PostgreSQL (tests/support/db_engines.py)


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def w(gateway_world: World, services: Services) -> World:
    """The gateway's world; ``services`` reverts the chain and gives a fresh database."""
    return gateway_world


def indexer(services: Services, **kw: Any) -> Indexer:
    return Indexer(services.system, services.engine, **kw)


def hexid(rid: bytes) -> str:
    return "0x" + bytes(rid).hex()


def stored_ids(services: Services) -> set[str]:
    with services.engine.connect() as conn:
        return set(conn.execute(select(index_events.c.record_id)).scalars()) - {None}


def assert_matches_chain(w: World, ix: Indexer) -> None:
    """Every resident's credit, state and earnings read from the index equal the contract's."""
    for r in w.residents:
        s = ix.resident_summary(r.address)
        registered, _, raw, last_active, expires_after = w.ledger.functions.residentState(
            r.address
        ).call()
        assert s["credit"] == w.credit(r), r.name
        assert (s["raw_balance"], s["last_active_epoch"]) == (raw, last_active), r.name
        assert (s["registered"], s["expires_after_epoch"]) == (registered, expires_after), r.name
        assert s["epoch"] == w.epoch()
        for e in s["earnings"]:
            chain = w.ledger.functions.epochEarnings(r.address, e["epoch"]).call()
            assert (e["points"], e["paid"]) == tuple(chain), (r.name, e)


def direct_claim(w: World, who: int, confirmers: list[tuple[Any, int]]) -> str:
    """A claim submitted directly by resident ``who`` and confirmed by ``confirmers``."""
    resident = w.residents[who]
    fn = w.ledger.functions.submitClaim(1, 2, w.now() - 60, ZERO32)
    (event,) = w.events(resident.send(fn), "ClaimSubmitted")
    rid = bytes(event["args"]["recordId"])
    for actor, kind in confirmers:
        actor.send(w.ledger.functions.confirm(rid, kind))
    return hexid(rid)


def test_facts_and_credit_match_the_chain(w: World, services: Services) -> None:
    r = w.residents
    credit(w, r[0], 1, 3)
    credit(w, r[1], 2, 2)
    credit(w, r[2], 1, 1)
    _, overturned = relay_violation(w, r[0], 1)
    _, upheld = relay_violation(w, r[1], 2)
    _, appealed = relay_violation(w, r[2], 1)
    _, recorded = relay_violation(w, r[3], 1)  # r3 has nothing: deducted is 0
    for who, rid in ((0, overturned), (1, upheld), (2, appealed)):
        appeal(w, r[who], rid)
    resolve(w, overturned, True)
    resolve(w, upheld, False)
    done = direct_claim(w, 4, [(w.superior, SUPERIOR), (r[5], PEER)])
    waiting = direct_claim(w, 5, [(w.superior2, SUPERIOR)])
    mid = w.w3.eth.block_number
    w.advance(EPOCH)
    w.minter.send(w.ledger.functions.mintRewards(0, [r[0].address, r[4].address]))
    credit(w, r[0], 1, 2)  # epoch 1

    ix = indexer(services)
    assert ix.sync() > 0
    assert_matches_chain(w, ix)
    assert ix.cached_resident_summary(r[0].address) is None  # nothing folded yet: the database
    facts = ix.facts()
    # once the whole ledger is folded at the cursor, a summary is served from memory, the same
    for address in [a.address for a in r] + ["0x" + "00" * 20]:
        assert ix.cached_resident_summary(address) == ix.resident_summary(address), address
    assert facts.residents == tuple(a.address.lower() for a in r)
    assert facts.rule_versions == {1: hexid(w.ruleset.content_hash())}
    assert [(c.resident, c.points, c.epoch) for c in facts.credits] == [
        (r[0].address.lower(), 30, 0), (r[1].address.lower(), 30, 0),
        (r[2].address.lower(), 10, 0), (r[4].address.lower(), 20, 0),
        (r[0].address.lower(), 20, 1),
    ]  # fmt: skip
    assert {v.record_id: v.status for v in facts.violations} == {
        hexid(overturned): ViolationStatus.OVERTURNED,
        hexid(upheld): ViolationStatus.UPHELD,
        hexid(appealed): ViolationStatus.APPEALED,
        hexid(recorded): ViolationStatus.RECORDED,
    }
    assert {v.record_id: v.deducted for v in facts.violations}[hexid(recorded)] == 0
    (pending,) = facts.pending
    assert (pending.record_id, pending.resident) == (waiting, r[5].address.lower())
    assert pending.confirmations == ((w.superior2.address.lower(), SUPERIOR),)
    assert done in {c.record_id for c in facts.credits}
    assert [(p.resident, p.epoch, p.points, p.amount) for p in facts.rewards] == [
        (r[0].address.lower(), 0, 30, 30 * 10**17),
        (r[4].address.lower(), 0, 20, 20 * 10**17),
    ]
    earlier = ix.facts(as_of_block=mid)
    assert (len(earlier.credits), earlier.rewards, earlier.as_of_block) == (4, (), mid)
    kinds = [(x["kind"], x.get("status")) for x in ix.records_of(r[0].address)]
    assert kinds == [("credit", None), ("violation", "overturned"), ("credit", None)]
    assert ix.records_of(r[5].address)[0]["confirmations"] == [[w.superior2.address.lower(), 0]]


@pytest.mark.parametrize(
    ("new_expiry", "idle_epochs", "lapses"),
    [
        pytest.param(None, 27, True, id="v1-expiry-26-lapses"),
        pytest.param(None, 26, False, id="v1-expiry-26-still-valid"),
        pytest.param(2, 3, True, id="v2-expiry-2-in-force-lapses"),
        pytest.param(2, 2, False, id="v2-expiry-2-still-valid"),
    ],
)
def test_expiry_follows_the_version_in_force(
    w: World, services: Services, new_expiry: int | None, idle_epochs: int, lapses: bool
) -> None:
    credit(w, w.residents[0], 1, 3)
    if new_expiry is not None:
        publish(w, variant(w.ruleset, terms={"expiry_epochs": new_expiry}))
        w.advance(NOTICE)
    w.advance(idle_epochs * EPOCH)
    ix = indexer(services)
    ix.sync()
    lapsed = ix.resident_credit(w.residents[0].address)
    assert (lapsed.lapsed, lapsed.credit, w.credit(w.residents[0])) == (
        (True, 0, 0) if lapses else (False, 30, 30)
    )
    assert_matches_chain(w, ix)
    credit(w, w.residents[0], 1, 1)  # books the lapse (CreditExpired) if there was one
    ix.sync()
    assert_matches_chain(w, ix)
    assert len(ix.facts().expiries) == int(lapsed.lapsed)


def test_resumes_from_the_cursor_without_duplicates(w: World, services: Services) -> None:
    for i in range(3):
        credit(w, w.residents[i], 1, 1)

    class Flaky(EventSource):
        calls = 0

        def logs(self, from_block: int, to_block: int) -> list[Any]:
            Flaky.calls += 1
            if Flaky.calls > 2:
                raise ChainError("node went away")
            return super().logs(from_block, to_block)

    first = indexer(services, page_size=3, source=Flaky(services.system))
    with pytest.raises(ChainError, match="node went away"):
        first.sync()
    cursor = first.status()["block_number"]
    assert cursor == services.system.record.start_block + 5
    second = indexer(services)
    added = second.sync()
    source = EventSource(services.system)
    chain = source.logs(source.start_block, source.head())
    with services.engine.connect() as conn:
        keys = conn.execute(select(index_events.c.tx_hash, index_events.c.log_index)).all()
    assert sorted(keys) == sorted((e.tx_hash, e.log_index) for e in chain)
    assert added == len(chain) - sum(1 for e in chain if e.block_number <= cursor)
    assert second.sync() == 0 and indexer(services).sync() == 0
    assert_matches_chain(w, second)


@pytest.mark.parametrize(
    ("old_blocks", "new_blocks"),
    [
        pytest.param(3, 3, id="same-height"),
        pytest.param(5, 5, id="five-block-reorg"),
        pytest.param(2, 6, id="longer-chain"),
        pytest.param(5, 2, id="rewound-head"),
    ],
)
def test_reorg_replaces_orphaned_rows(
    w: World, services: Services, old_blocks: int, new_blocks: int
) -> None:
    tester = w.w3.provider.ethereum_tester  # type: ignore[attr-defined]
    ix = indexer(services)
    ix.sync()
    base = w.w3.eth.block_number
    with services.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(index_events)).scalar()
    snapshot = tester.take_snapshot()
    old = [hexid(w.credit_one(w.residents[0], 1, 1 + i % 3)[1]) for i in range(old_blocks)]
    assert w.w3.eth.block_number == base + old_blocks
    ix.sync()
    assert set(old) <= stored_ids(services)
    tester.revert_to_snapshot(snapshot)
    w.reset_nonces()
    new = [hexid(w.credit_one(w.residents[1], 1, 1 + i % 3)[1]) for i in range(new_blocks)]
    assert ix.sync() == new_blocks
    ids = stored_ids(services)
    assert not set(old) & ids and set(new) <= ids
    assert ix.reorgs == 1 and ix.status()["block_number"] == base + new_blocks
    with services.engine.connect() as conn:
        kept = conn.execute(
            select(func.count())
            .select_from(index_events)
            .where(index_events.c.block_number <= base)
        ).scalar()
        blocks = conn.execute(select(index_blocks.c.number, index_blocks.c.hash)).all()
    assert kept == before
    source = EventSource(services.system)
    assert all(source.header(n) is not None and source.header(n).hash == h for n, h in blocks)  # type: ignore[union-attr]
    assert_matches_chain(w, ix)


def test_confirmation_depth_holds_back_the_last_blocks(w: World, services: Services) -> None:
    rids = [hexid(w.credit_one(w.residents[i], 1, 1)[1]) for i in range(4)]
    ix = indexer(services, confirmation_depth=3)
    ix.sync()
    head = w.w3.eth.block_number
    assert ix.status()["block_number"] == head - 3
    assert stored_ids(services) & set(rids) == {rids[0]}
    for _ in range(3):
        w.advance(1)
    assert ix.sync() == 3
    assert set(rids) <= stored_ids(services)


def test_look_alike_events_from_another_address_are_ignored(
    w: World, services: Services, artifacts: dict[str, Artifact]
) -> None:
    decoy_art = artifacts["DecoyLedger"]
    receipt = w.operator.tx.deploy(decoy_art.abi, decoy_art.bytecode)
    decoy = w.w3.eth.contract(address=receipt["contractAddress"], abi=decoy_art.abi)
    fake = b"\x99" * 32
    emitted = w.outsider.send(decoy.functions.fakeCredit(fake, w.residents[0].address, 10**6))
    look_alike = w.w3.keccak(text="RecordCredited(bytes32,address,uint16,uint16,uint48,uint16)")
    assert emitted["logs"][1]["topics"][0] == look_alike  # the very topic of the ledger's event
    source = EventSource(services.system)
    assert source.codec.decode_all(emitted["logs"]) == []  # even if a node handed them over
    credit(w, w.residents[0], 1, 1)
    ix = indexer(services)
    ix.sync()
    with services.engine.connect() as conn:
        addresses = set(conn.execute(select(index_events.c.address).distinct()).scalars())
    assert addresses == {w.ledger.address.lower(), w.rule_book.address.lower()}
    assert hexid(fake) not in stored_ids(services)
    assert ix.resident_summary(w.residents[0].address)["credit"] == 10 == w.credit(w.residents[0])


def test_background_runner_is_idempotent(w: World, services: Services) -> None:
    credit(w, w.residents[0], 1, 1)
    ix = indexer(services, poll_seconds=0.01)
    synced = threading.Event()
    ix.subscribe(lambda stored: synced.set())
    ix.start()
    thread = ix._thread
    ix.start()
    assert ix._thread is thread and ix.running
    assert synced.wait(10)
    ix.stop()
    ix.stop()
    assert not ix.running
    assert ix.resident_summary(w.residents[0].address)["credit"] == 10


def test_refuses_a_database_of_another_deployment(w: World, services: Services) -> None:
    with services.engine.begin() as conn:
        conn.execute(
            insert(index_cursor).values(
                id=1, ledger="0x" + "11" * 20, block_number=0, block_hash=None, updated_at=0.0
            )
        )
    with pytest.raises(ChainError, match="belongs to the ledger at 0x1111"):
        indexer(services).sync()


@pytest.mark.parametrize(
    ("at_time", "expiry"),
    [
        pytest.param(99, 0, id="before-any-version"),
        pytest.param(100, 26, id="v1-effective"),
        pytest.param(499, 26, id="v2-published-not-yet-effective"),
        pytest.param(500, 2, id="v2-effective"),
    ],
)
def test_expiry_in_force_is_the_latest_effective_version(at_time: int, expiry: int) -> None:
    versions = [RuleVersion(1, "0x01", 100, 26), RuleVersion(2, "0x02", 500, 2)]
    assert expiry_in_force(versions, at_time) == expiry


WRITER_HOLDER = """
import sys, time
from credit.store.db import make_engine, writer
with writer(make_engine(sys.argv[1])):
    print("held", flush=True)
    time.sleep(1.0)
"""


@pytest.mark.engines("sqlite")  # the writer lock of a SQLite file
def test_index_writes_wait_for_the_databases_writer_in_another_process(
    w: World, services: Services
) -> None:
    """The indexer stores a page under the database's writer lock, as the relay (maybe in its
    own process) does: a relay write in progress is waited for in the kernel, not in SQLite's
    sleeping busy handler, and never interleaved."""
    credit(w, w.residents[0], 1, 1)
    holder = subprocess.Popen(
        [sys.executable, "-c", WRITER_HOLDER, str(services.engine.url)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    stored = indexer(services).sync()
    waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert holder.returncode == 0
    assert stored > 0
    assert waited > 0.5, "the indexer wrote while another process held the writer lock"
