"""Building signed claim and confirmation bodies for the relay's HTTP API, and reading results."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from eth_account import Account
from eth_keys import keys
from eth_utils import keccak
from sqlalchemy import func, select

from credit.chain.eip712 import rejection_digest, sign_digest
from credit.chain.signing import Claim, endorsement_digest
from credit.gateway.services import Services
from credit.relay.models import REJECTION_REASONS
from credit.relay.outbox import Hooks, outbox_rows
from credit.relay.service import Relay
from credit.store.relay_tables import relay_claims
from tests.support.world import World, wait_until

ZERO32 = "0x" + "00" * 32
HOUR = 3600


def new_residents(w: World, n: int, seed: int) -> list[Any]:
    """``n`` residents of fresh keys (``seed``, ``seed + 1`` ...), registered on the ledger."""
    accounts = [Account.from_key((seed + i).to_bytes(32, "big")) for i in range(n)]
    w.registrar.send(w.ledger.functions.registerResidents([a.address for a in accounts]))
    return [SimpleNamespace(address=a.address, key=bytes(a.key)) for a in accounts]


def claim_body(
    world: World,
    resident: Any,
    category: int = 1,
    units: int = 1,
    *,
    nonce: int | None = None,
    deadline: int | None = None,
    occurred_at: int | None = None,
    signer: Any = None,
    compact: bool = False,
) -> tuple[dict[str, Any], str]:
    """A signed POST /v1/claims body and the claim's record id."""
    now = world.now()
    if nonce is None:
        nonce = world.ledger.functions.claimNonce(resident.address).call()
    c = Claim(
        resident.address,
        category,
        units,
        # a different minute per nonce: claims identical but for the nonce are one activity
        # twice, which intake refuses while the first waits (claim_already_waiting)
        now - 60 * (1 + nonce % 1440) if occurred_at is None else occurred_at,
        nonce,
        bytes(32),
        now + HOUR if deadline is None else deadline,
    )
    digest = c.record_id(world.system.domain)
    key = (signer or resident).key
    body: dict[str, Any] = {
        "resident": resident.address,
        "category": category,
        "units": units,
        "occurred_at": c.occurred_at,
        "nonce": nonce,
        "deadline": c.deadline,
    }
    if compact:
        sig = sign_digest(key, digest)
        body.update(r="0x" + sig.r.hex(), vs="0x" + sig.vs.hex())
    else:
        body["signature"] = "0x" + keys.PrivateKey(key).sign_msg_hash(digest).to_bytes().hex()
    return body, "0x" + digest.hex()


def confirm_body(
    world: World,
    evaluator: Any,
    kind: int,
    ids: list[str],
    *,
    deadline: int | None = None,
    signer: Any = None,
    keep_order: bool = False,
) -> dict[str, Any]:
    """A signed POST /v1/confirmations body over ``ids`` (sorted unless ``keep_order``)."""
    records = list(ids) if keep_order else sorted(ids)
    deadline = world.now() + HOUR if deadline is None else deadline
    digest = endorsement_digest(
        world.system.domain, [bytes.fromhex(r[2:]) for r in records], kind, deadline
    )
    sig = sign_digest((signer or evaluator).key, digest)
    return {
        "evaluator": evaluator.address,
        "records": records,
        "kind": kind,
        "deadline": deadline,
        "r": "0x" + sig.r.hex(),
        "vs": "0x" + sig.vs.hex(),
    }


def rejection_body(
    world: World,
    evaluator: Any,
    kind: int,
    record_id: str,
    reason: str = "did_not_happen",
    note: str = "I was there; nobody came",
    *,
    signer: Any = None,
    signed_record: str | None = None,
    signed_note: str | None = None,
) -> dict[str, Any]:
    """A signed POST /v1/claims/{id}/rejections body (``signed_*``: sign other values)."""
    rid = bytes.fromhex((signed_record or record_id)[2:])
    hashed = keccak((note if signed_note is None else signed_note).encode())
    d = rejection_digest(world.system.domain, rid, kind, REJECTION_REASONS.index(reason), hashed)
    sig = keys.PrivateKey((signer or evaluator).key).sign_msg_hash(d)
    return {
        "evaluator": evaluator.address,
        "kind": kind,
        "reason": reason,
        "note": note,
        "signature": "0x" + sig.to_bytes().hex(),
    }


def statuses(services: Services) -> dict[str, str]:
    """record id -> status of every claim in the relay's database."""
    with services.engine.connect() as conn:
        rows = conn.execute(select(relay_claims.c.record_id, relay_claims.c.status)).all()
    return {r.record_id: r.status for r in rows}


def count_claims(services: Services, status: str) -> int:
    with services.engine.connect() as conn:
        q = select(func.count()).where(relay_claims.c.status == status)
        return int(conn.execute(q).scalar() or 0)


def wait_credited(services: Services, ids: list[str], timeout: float = 30.0) -> None:
    """Wait until every claim of ``ids`` is credited (fails with their statuses otherwise)."""
    ok = wait_until(lambda: all(statuses(services).get(i) == "credited" for i in ids), timeout)
    assert ok, {i: statuses(services).get(i) for i in ids}


def relayer_nonce(services: Services) -> int:
    return int(services.system.w3.eth.get_transaction_count(services.relayer.address))


def credited_events(world: World, from_block: int) -> list[str]:
    """Record ids of every RecordCredited event of the ledger since ``from_block``."""
    logs = world.ledger.events.RecordCredited().get_logs(from_block=from_block)
    return ["0x" + bytes(log["args"]["recordId"]).hex() for log in logs]


def rows(services: Services) -> list[dict[str, Any]]:
    return outbox_rows(services.engine)


def wire_relay(services: Services, hooks: Hooks | None = None) -> Relay:
    """A Relay on ``services``, registered so that the app's lifespan starts and stops it."""
    relay = Relay(services, hooks=hooks)
    services.relay = relay
    services.background.append(relay)
    return relay


def signed_inbox(
    world: World, residents: list[Any], units: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[bytes]]:
    """Each resident's next claim (category 1, ``units``), confirmed by the superior and a peer,
    as JSON bodies (the claims, the confirmations) with the record ids: what a crash test's
    gateway process accepts on its first start."""
    from tests.support.world import PEER, SUPERIOR

    claims, confirmations, ids = [], [], []
    deadline = world.now() + 24 * HOUR  # within the gateway's max_claim_deadline_seconds
    for r in residents:
        signed, rid = world.claim(r, 1, units, deadline=deadline)
        ids.append(bytes(rid))
        claims.append(
            {
                "resident": r.address,
                "category": 1,
                "units": units,
                "occurred_at": signed[3],
                "evidence": "0x" + bytes(signed[6]).hex(),
                "nonce": signed[5],
                "deadline": signed[4],
                "r": "0x" + bytes(signed[7]).hex(),
                "vs": "0x" + bytes(signed[8]).hex(),
            }
        )
        peer = next(p for p in world.residents if p.address != r.address)
        for actor, kind in ((world.superior, SUPERIOR), (peer, PEER)):
            (e,) = world.endorse([rid], [(actor, kind)])
            confirmations.append(
                {
                    "evaluator": actor.address,
                    "records": ["0x" + rid.hex()],
                    "kind": kind,
                    "deadline": e[1],
                    "r": "0x" + bytes(e[3]).hex(),
                    "vs": "0x" + bytes(e[4]).hex(),
                }
            )
    return claims, confirmations, ids


def fund_gateway_keys(world: World) -> tuple[Any, Any]:
    """The dev relayer and minter accounts, funded: what a gateway process on a node signs with."""
    from credit.chain import fund
    from credit.settings import Settings

    keys = Settings()
    relayer, minter = (
        Account.from_key(k) for k in (keys.relayer_private_key(), keys.minter_private_key())
    )
    fund(world.w3, [relayer.address, minter.address], 10**19)
    return relayer, minter
