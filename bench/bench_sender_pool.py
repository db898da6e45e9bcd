"""Sender pool: records/s relayed with K = 1 and K = 3 relayer keys on anvil, in one run.

Two shapes, each run with K = 1 then K = 3 on a fresh anvil:

- ``limited``: anvil mines a block every second and the relay keeps at most
  ``relayer_max_pending`` transactions per key unmined, as it must on a node that limits pending
  transactions per sender (Besu's ``--tx-pool-limit-by-account-percentage``; anvil has no such
  limit, so the relay's own cap stands in for it). This is the shape the pool is for.
- ``automine``: anvil mines each transaction as it arrives and the cap is the default: no
  per-sender limit binds, the relay's own CPU does (the pool should cost nothing there).

Every claim is accepted and confirmed through the relay's intake before the clock starts; the
clock runs from the relay's start until the last claim is credited in its database (settled from
the receipts), so the figure is batching, signing, sending, mining and settling.

Each row is the best of ``--repeat`` runs: the automine rows last about a second, and a machine
shared with other work varies by more than the pool's effect over so short a time.

``python -m bench.bench_sender_pool [--records N] [--repeat R]`` prints a table and writes
``bench/results/sender_pool.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from eth_account import Account
from sqlalchemy import func, select

from credit.chain import fund, rpc_web3
from credit.compile import compile_contracts
from credit.compose import wire
from credit.relay.models import ClaimIn, ConfirmationIn
from credit.relay.senders import pool_addresses
from credit.ruleset import load_ruleset
from credit.settings import Settings
from credit.store.relay_tables import relay_claims, relay_outbox
from tests.support.anvil import anvil
from tests.support.relay_helpers import claim_body, confirm_body
from tests.support.world import PEER, SUPERIOR, build_world

RESULTS = Path(__file__).resolve().parent / "results" / "sender_pool.json"
BATCH = 25
MAX_PENDING = 2  # the per-sender limit the ``limited`` shape models
BLOCK_SECONDS = 1


def run(records: int, keys: int, shape: str, artifacts: Any, ruleset: Any) -> dict[str, Any]:
    """One measurement on a fresh anvil: records/s from the relay's start to the last credit."""
    with anvil("--balance", "100000000") as url, tempfile.TemporaryDirectory() as tmp:
        w3 = rpc_web3(url)
        world = build_world(w3, artifacts, ruleset, residents=2, seed=99)
        residents = _register(world, records)
        settings = Settings(
            data_dir=Path(tmp),
            database_url=f"sqlite:///{tmp}/gateway.sqlite",
            chain=url,
            batch_max_size=BATCH,
            batch_window_seconds=0.05,
            relayer_pool_size=keys,
            relayer_max_pending=MAX_PENDING if shape == "limited" else 16,
        )
        fund(w3, pool_addresses(settings), 10**20)
        services = wire(settings, world.system, ruleset)
        relay = services.relay
        ids = []
        for k, resident in enumerate(residents):
            body, rid = claim_body(world, resident)
            relay.accept_claim(ClaimIn.model_validate(body))
            peer = residents[(k + 1) % len(residents)]
            relay.accept_confirmation(
                ConfirmationIn.model_validate(confirm_body(world, peer, PEER, [rid]))
            )
            ids.append(rid)
        for i in range(0, len(ids), BATCH):
            official = confirm_body(world, world.superior, SUPERIOR, ids[i : i + BATCH])
            relay.accept_confirmation(ConfirmationIn.model_validate(official))
        if shape == "limited":
            w3.provider.make_request("anvil_setAutomine", [False])  # type: ignore[arg-type]
            w3.provider.make_request("evm_setIntervalMining", [BLOCK_SECONDS])  # type: ignore[arg-type]
        start = time.perf_counter()
        relay.start()
        try:
            while _credited(services.engine) < len(ids):
                if time.perf_counter() - start > 600:
                    raise RuntimeError("not every claim was credited within 600 s")
                time.sleep(0.02)
            seconds = time.perf_counter() - start
        finally:
            relay.stop()
        with services.engine.connect() as conn:
            txs = int(conn.execute(select(func.count()).select_from(relay_outbox)).scalar() or 0)
            signers = int(
                conn.execute(select(func.count(relay_outbox.c.signer.distinct()))).scalar() or 0
            )
        services.engine.dispose()
    return {
        "shape": shape,
        "keys": keys,
        "records": len(ids),
        "seconds": round(seconds, 3),
        "records_per_s": round(len(ids) / seconds, 1),
        "transactions": txs,
        "signers_used": signers,
    }


def _register(world: Any, count: int) -> list[Any]:
    """``count`` more residents (keys and addresses), registered 100 at a time."""
    accounts = [Account.from_key((500_000 + i).to_bytes(32, "big")) for i in range(count)]
    for i in range(0, count, 100):
        chunk = [a.address for a in accounts[i : i + 100]]
        world.registrar.send(world.ledger.functions.registerResidents(chunk))
    return [SimpleNamespace(address=a.address, key=bytes(a.key)) for a in accounts]


def _credited(engine: Any) -> int:
    with engine.connect() as conn:
        q = select(func.count()).where(relay_claims.c.status == "credited")
        return int(conn.execute(q).scalar() or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each row (the best kept)")
    args = parser.parse_args(argv)
    artifacts = compile_contracts()
    ruleset = load_ruleset(Settings().ruleset_file)
    rows = [
        max(
            (run(args.records, keys, shape, artifacts, ruleset) for _ in range(args.repeat)),
            key=lambda r: r["records_per_s"],
        )
        for shape in ("limited", "automine")
        for keys in (1, 3)
    ]
    by = {(r["shape"], r["keys"]): r["records_per_s"] for r in rows}
    result = {
        "batch_max_size": BATCH,
        "limited_max_pending_per_key": MAX_PENDING,
        "limited_block_seconds": BLOCK_SECONDS,
        "repeat": args.repeat,
        "runs": rows,
        "k3_over_k1_limited": round(by[("limited", 3)] / by[("limited", 1)], 2),
        "k3_over_k1_automine": round(by[("automine", 3)] / by[("automine", 1)], 2),
    }
    print(
        f"{'shape':<10}{'K':>3}{'records':>9}{'s':>9}{'records/s':>11}{'txs':>6}{'keys used':>11}"
    )
    for r in rows:
        print(
            f"{r['shape']:<10}{r['keys']:>3}{r['records']:>9}{r['seconds']:>9.2f}"
            f"{r['records_per_s']:>11.1f}{r['transactions']:>6}{r['signers_used']:>11}"
        )
    limited, automine = result["k3_over_k1_limited"], result["k3_over_k1_automine"]
    print(f"K=3 / K=1: limited {limited}, automine {automine}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
