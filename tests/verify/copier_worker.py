"""A resident who copies another's answer (test double).

Waits for the victim's commitment and commits the very same hash; waits for the victim's reveal,
reads the victim's root and salt from that transaction's calldata, and tries to reveal them. The
commitment binds the victim's address, so the reveal must fail; prints the error as JSON.

Usage: python tests/verify/copier_worker.py RPC_URL DEPLOYMENT_FILE EPOCH VICTIM (key: env, dev)
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_account import Account

from credit.chain import Transactor, attach, rpc_web3
from credit.chain.deploy import DeploymentRecord
from credit.chain.verifier import VerifierClient, attach_verifier
from credit.compile import compile_contracts
from credit.errors import ContractRevert
from credit.settings import Settings


def wait_for(what: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while (found := what()) is None:
        if time.monotonic() > deadline:
            raise SystemExit("copier: gave up waiting")
        time.sleep(0.05)
    return found


def main(url: str, deployment: str, epoch: int, victim: str) -> dict[str, Any]:
    w3 = rpc_web3(url)
    artifacts = compile_contracts()
    system = attach(w3, DeploymentRecord.from_json(Path(deployment).read_text()), artifacts)
    account = Account.from_key(Settings().verifier_private_key())
    start = system.record.contracts["EpochVerifier"].block
    client = VerifierClient(
        attach_verifier(system, artifacts),
        Transactor(w3, account, system.decoder),
        from_block=start,
    )
    victim = victim.lower()
    commitment = wait_for(lambda: client.commitments(epoch).get(victim))
    client.commit(epoch, commitment)
    wait_for(lambda: client.reveals(epoch).get(victim))
    (log,) = client.contract.events.Revealed.get_logs(
        from_block=start,
        argument_filters={"epoch": epoch, "resident": w3.to_checksum_address(victim)},
    )
    tx = w3.eth.get_transaction(log["transactionHash"])
    _fn, args = client.contract.decode_function_input(tx["input"])
    try:
        client.reveal(epoch, args["root"], args["salt"])
    except ContractRevert as exc:
        return {"copied_from": victim, "error": exc.name, "args": exc.args}
    return {"copied_from": victim, "error": None}


if __name__ == "__main__":
    url, deployment, epoch, victim = sys.argv[1:5]
    print(json.dumps(main(url, deployment, int(epoch), victim), default=str))
