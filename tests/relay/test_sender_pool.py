"""The sender pool on a real node (anvil) with K = 3 relayer keys.

Batches are spread over the three keys, each with its own gap-free nonce sequence; one key's
transaction is stuck (dropped from the node's pool, blocks go on without it) while the other keys
go on; the stuck one is replaced with a higher fee and the same nonce, and whichever of the two
the chain mines is recognised; after a restart each key's nonces continue where they stopped,
even when something else used a key meanwhile. Every claim is credited exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import select

from credit.artifacts import Artifact
from credit.chain import fund, rpc_web3
from credit.chain.replace import fees_of
from credit.compose import wire
from credit.gateway.services import Services
from credit.relay.models import ClaimIn, ConfirmationIn
from credit.relay.senders import SenderPool, pool_addresses
from credit.relay.service import Relay
from credit.ruleset import RuleSet
from credit.settings import Settings
from credit.store.relay_tables import relay_outbox_replaced
from tests.support.anvil import anvil
from tests.support.relay_helpers import claim_body, confirm_body, credited_events, rows, statuses
from tests.support.world import PEER, SUPERIOR, World, build_world, wait_until

K = 3
NEVER = 1e9  # seconds: the stuck watch and the re-send wait for the test's say-so


@dataclass
class Pool:
    world: World
    services: Services
    relay: Relay
    unused: list[Any]  # registered residents no claim has used yet

    def take(self, n: int) -> list[Any]:
        taken, self.unused = self.unused[:n], self.unused[n:]
        assert len(taken) == n, "register more residents in the fixture"
        return taken

    def rpc(self, method: str, *params: Any) -> Any:
        answer = self.world.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        assert "error" not in answer, answer
        return answer.get("result")

    def mine(self) -> None:
        self.rpc("evm_mine")

    @property
    def pool(self) -> SenderPool:
        assert isinstance(self.relay.signer, SenderPool)
        return self.relay.signer

    def restart(self) -> None:
        self.relay.stop()
        self.relay = Relay(self.services)
        self.relay.signer.resend_after = NEVER
        self.services.relay = self.relay
        self.relay.start()


@pytest.fixture(scope="module")
def pool(
    artifacts: dict[str, Artifact], ruleset: RuleSet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pool]:
    tmp: Path = tmp_path_factory.mktemp("sender-pool")
    with anvil() as url:
        w = build_world(rpc_web3(url), artifacts, ruleset, residents=36, seed=17)
        settings = Settings(
            data_dir=tmp,
            database_url=f"sqlite:///{tmp / 'gateway.sqlite'}",
            chain=url,
            batch_max_size=2,
            batch_window_seconds=0.05,
            relayer_pool_size=K,
            relayer_stuck_seconds=NEVER,
        )
        fund(w.w3, pool_addresses(settings), 10**19)
        services = wire(settings, w.system, ruleset)  # only its relay runs here
        relay = services.relay
        relay.signer.resend_after = NEVER
        p = Pool(w, services, relay, list(w.residents))
        try:
            yield p
        finally:
            p.relay.stop()
            services.engine.dispose()


def accept(p: Pool, residents: list[Any]) -> list[str]:
    """Each resident's next claim, confirmed by a peer, then by the superior in one confirmation
    of a batch's worth of them: those claims become ready together, so batches are full."""
    w, relay = p.world, p.relay
    ids = []
    for k, resident in enumerate(residents):
        body, rid = claim_body(w, resident)
        relay.accept_claim(ClaimIn.model_validate(body))
        peer = residents[(k + 1) % len(residents)]
        relay.accept_confirmation(ConfirmationIn.model_validate(confirm_body(w, peer, PEER, [rid])))
        ids.append(rid)
    size = relay.settings.batch_max_size  # each official confirmation readies one full batch
    for chunk in (ids[i : i + size] for i in range(0, len(ids), size)):
        official = confirm_body(w, w.superior, SUPERIOR, chunk)
        relay.accept_confirmation(ConfirmationIn.model_validate(official))
    return ids


def wait_status(p: Pool, ids: list[str], status: str, timeout: float = 30.0) -> None:
    ok = wait_until(lambda: all(statuses(p.services).get(i) == status for i in ids), timeout)
    assert ok, {i: statuses(p.services).get(i) for i in ids}


def nonces_by_signer(p: Pool) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for row in rows(p.services):
        out.setdefault(row["signer"], []).append(int(row["nonce"]))
    return out


def assert_ledger(p: Pool, ids: list[str]) -> None:
    """Every id credited on chain exactly once; each key's outbox nonces are gap-free and are
    the transactions the chain holds from that key."""
    credited = credited_events(p.world, 0)
    assert sorted(i for i in credited if i in ids) == sorted(ids), "each credited exactly once"
    assert len(credited) == len(set(credited))
    w3 = p.world.w3
    for signer, nonces in nonces_by_signer(p).items():
        assert nonces == list(range(nonces[0], nonces[0] + len(nonces))), (signer, nonces)
    for row in rows(p.services):
        if row["status"] == "mined":  # by its newest transaction or one this replaced
            hashes = [row["tx_hash"], *_replaced_hashes(p, row["id"])]
            mined = [h for h in hashes if _receipt(w3, h) is not None]
            assert len(mined) == 1, (row, mined)
            tx = w3.eth.get_transaction(mined[0])
            assert (tx["from"].lower(), tx["nonce"]) == (row["signer"], row["nonce"])


def test_batches_spread_over_three_keys(pool: Pool) -> None:
    p = pool
    assert len(set(p.pool.signers)) == K
    ids = accept(p, p.take(12))  # six batches of two, planned back to back
    p.relay.start()
    wait_status(p, ids, "credited")
    by_signer = nonces_by_signer(p)
    assert set(by_signer) == set(p.pool.signers), "every key carried batches"
    assert all(len(n) >= 1 for n in by_signer.values())
    assert_ledger(p, ids)


def test_a_stuck_key_is_replaced_while_the_others_go_on(pool: Pool) -> None:
    p = pool
    p.relay.start()  # idempotent; xdist may run this test first on its worker
    p.rpc("anvil_setAutomine", False)
    try:
        first = accept(p, p.take(6))  # three batches: one per key (the least busy key first)
        wait_status(p, first, "sent")
        sent = [r for r in rows(p.services) if r["status"] == "sent"]
        assert len({r["signer"] for r in sent}) == K
        stuck = sent[1]
        p.rpc("anvil_dropTransaction", stuck["tx_hash"])  # gone from the node's pool
        p.mine()
        stuck_ids = _carried(p, stuck["id"])
        assert len(stuck_ids) == 2
        others = [i for i in first if i not in stuck_ids]
        wait_status(p, others, "credited")

        # The other keys go on: new batches avoid the busy key and are mined without it.
        second = accept(p, p.take(4))
        wait_status(p, second, "sent")
        p.mine()
        wait_status(p, second, "credited")
        assert all(statuses(p.services)[i] == "sent" for i in stuck_ids)
        second_signers = {
            r["signer"] for r in rows(p.services) if r["tx_hash"] in _hashes(p, second)
        }
        assert stuck["signer"] not in second_signers

        # The stuck key's watch replaces it (same nonce, higher fees) once blocks go by.
        worker = next(w for w in p.pool.workers if w.signer == stuck["signer"])
        unstick(p, worker, stuck["id"])
        row = next(r for r in rows(p.services) if r["id"] == stuck["id"])
        assert row["nonce"] == stuck["nonce"] and row["tx_hash"] != stuck["tx_hash"]
        p.mine()
        wait_status(p, stuck_ids, "credited")
        credited_in = {_claim_tx(p, i) for i in stuck_ids}
        assert credited_in == {row["tx_hash"]}, "credited by the replacement"

        # Replaced again, but the chain mines the first one after all: that one is recognised.
        third = accept(p, p.take(2))
        wait_status(p, third, "sent")
        (row,) = [r for r in rows(p.services) if r["status"] == "sent"]
        original = bytes(row["raw_tx"])
        p.rpc("anvil_dropTransaction", row["tx_hash"])
        worker = next(w for w in p.pool.workers if w.signer == row["signer"])
        unstick(p, worker, row["id"])
        newer = next(r for r in rows(p.services) if r["id"] == row["id"])["tx_hash"]
        p.rpc("anvil_dropTransaction", newer)
        p.rpc("eth_sendRawTransaction", "0x" + original.hex())
        p.mine()
        wait_status(p, third, "credited")
        assert {_claim_tx(p, i) for i in third} == {row["tx_hash"]}, "credited by the first"
        settled = next(r for r in rows(p.services) if r["id"] == row["id"])
        assert settled["status"] == "mined"
    finally:
        p.rpc("anvil_setAutomine", True)
    assert_ledger(p, [*first, *second, *third])


def test_a_transaction_the_base_fee_outgrew_is_replaced_above_it(pool: Pool) -> None:
    p = pool
    p.relay.start()  # idempotent; xdist may run this test first on its worker
    p.rpc("anvil_setAutomine", False)
    try:
        ids = accept(p, p.take(2))
        wait_status(p, ids, "sent")
        (row,) = [r for r in rows(p.services) if r["status"] == "sent"]
        _, max_fee, _ = fees_of(bytes(row["raw_tx"]))
        p.rpc("anvil_setNextBlockBaseFeePerGas", hex(10 * max_fee))
        p.mine()  # a block whose base fee is over what the transaction pays: it stays out
        assert statuses(p.services)[ids[0]] == "sent"
        worker = next(w for w in p.pool.workers if w.signer == row["signer"])
        unstick(p, worker, row["id"])
        replaced = next(r for r in rows(p.services) if r["id"] == row["id"])
        _, new_fee, _ = fees_of(bytes(replaced["raw_tx"]))
        assert new_fee > 2 * max_fee, "priced for the risen base fee, not just 13 % more"
        p.mine()
        wait_status(p, ids, "credited")
        assert {_claim_tx(p, i) for i in ids} == {replaced["tx_hash"]}
    finally:
        p.rpc("anvil_setAutomine", True)
    assert_ledger(p, ids)


def test_nonces_continue_after_a_restart(pool: Pool) -> None:
    p = pool
    before = nonces_by_signer(p)
    p.restart()
    # Meanwhile something else used the last key: its next batch must take the nonce after.
    last = p.pool.workers[-1]
    used = p.world.w3.eth.get_transaction_count(last.account.address)
    tx = {
        "type": 2,
        "chainId": p.world.w3.eth.chain_id,
        "nonce": used,
        "to": last.account.address,
        "value": 0,
        "gas": 21_000,
        "maxFeePerGas": 10**11,
        "maxPriorityFeePerGas": 10**9,
    }
    p.world.w3.eth.send_raw_transaction(
        Account.sign_transaction(tx, last.account.key).raw_transaction
    )
    ids = accept(p, p.take(6))
    wait_status(p, ids, "credited")
    after = nonces_by_signer(p)
    for signer, nonces in after.items():
        old = before.get(signer, [])
        assert nonces[: len(old)] == old
        new = nonces[len(old) :]
        if signer == last.signer:
            assert new and new[0] == used + 1, "the nonce the other transaction took is skipped"
        elif old and new:
            assert new[0] == old[-1] + 1, (signer, old, new)
    assert sum(len(n) for n in after.values()) > sum(len(n) for n in before.values())
    credited = credited_events(p.world, 0)
    assert len(credited) == len(set(credited)) and set(ids) <= set(credited)


def unstick(p: Pool, worker: Any, oid: int) -> None:
    """Let ``worker``'s stuck watch replace row ``oid``: the time limit is lifted, and once the
    watch counts blocks, two go by without it; no block is mined after that until the
    replacement is stored (the test mines it, or another transaction, itself)."""
    worker.stuck.stuck_seconds = 0.0
    try:
        assert wait_until(lambda: worker.stuck._since.get(oid, (0, None))[1] is not None, 10)
        p.mine()
        p.mine()
        assert wait_until(lambda: _replaced_hashes(p, oid), 10)
        row = next(r for r in rows(p.services) if r["id"] == oid)
        assert wait_until(lambda: p.rpc("eth_getTransactionByHash", row["tx_hash"]), 10)
    finally:
        worker.stuck.stuck_seconds = NEVER


def _replaced_hashes(p: Pool, oid: int) -> list[str]:
    with p.services.engine.connect() as conn:
        q = select(relay_outbox_replaced.c.tx_hash).where(relay_outbox_replaced.c.outbox_id == oid)
        return list(conn.execute(q).scalars())


def _receipt(w3: Any, tx_hash: str) -> Any:
    from web3.exceptions import TransactionNotFound

    try:
        return w3.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        return None


def _claim_tx(p: Pool, record_id: str) -> str:
    from credit.store.relay_tables import relay_claims

    with p.services.engine.connect() as conn:
        q = select(relay_claims.c.tx_hash).where(relay_claims.c.record_id == record_id)
        return str(conn.execute(q).scalar_one())


def _carried(p: Pool, oid: int) -> list[str]:
    from credit.store.relay_tables import relay_claims

    with p.services.engine.connect() as conn:
        q = select(relay_claims.c.record_id).where(relay_claims.c.outbox_id == oid)
        return list(conn.execute(q).scalars())


def _hashes(p: Pool, ids: list[str]) -> set[str]:
    return {_claim_tx(p, i) for i in ids}


def test_the_gateway_refuses_a_pool_key_that_administers_the_ledger(pool: Pool) -> None:
    from credit.chain import role_id
    from credit.compose import refuse_governing_keys
    from credit.errors import CreditError

    p, settings = pool, pool.services.settings
    refuse_governing_keys(settings, p.world.system)  # no key of the pool governs: it starts
    third = pool_addresses(settings)[2]
    admin = role_id("DEFAULT_ADMIN_ROLE")
    p.world.operator.send(p.world.ledger.functions.grantRole(admin, third))
    try:
        with pytest.raises(CreditError, match=f"relayer key {third} holds"):
            refuse_governing_keys(settings, p.world.system)
    finally:
        p.world.operator.send(p.world.ledger.functions.revokeRole(admin, third))
