"""A gateway process for the crash test: relay and reward workers over anvil, killed at random.

Usage: python -m tests.gateway.crash_worker WORKDIR. On its first start it
accepts the signed claims and confirmations in WORKDIR/inbox.json and asks for the reward run;
every start resumes. It prints ``ready 0`` once its relay runs.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from eth_account import Account

from credit.chain import rpc_web3
from credit.chain.deploy import DeploymentRecord, attach
from credit.compile import compile_contracts
from credit.compose import wire
from credit.gateway.rewards import RewardService
from credit.relay.models import ClaimIn, ConfirmationIn
from credit.ruleset import DEFAULT_RULESET, load_ruleset
from credit.settings import Settings

if __name__ == "__main__":
    work = Path(sys.argv[1])
    inbox = json.loads((work / "inbox.json").read_text())
    settings = Settings(
        data_dir=work,
        database_url=inbox.get("database_url"),
        batch_window_seconds=0.02,
        batch_max_size=4,
    )
    record = DeploymentRecord.from_json((work / "deployment.json").read_text())
    system = attach(rpc_web3(inbox["url"]), record, compile_contracts())
    services = wire(settings, system, load_ruleset(DEFAULT_RULESET))
    services.background.remove(services.rewards)
    services.rewards = RewardService(
        services, Account.from_key(settings.minter_private_key()), chunk=3
    )
    services.background.append(services.rewards)
    services.start()
    first = not (work / "accepted").exists()
    if first:
        for claim in inbox["claims"]:
            services.relay.accept_claim(ClaimIn(**claim))
        for confirmation in inbox["confirmations"]:
            services.relay.accept_confirmation(ConfirmationIn(**confirmation))
        (work / "accepted").write_text("yes")
    services.rewards.request("crash-run", inbox["epoch"])
    print("ready 0", flush=True)
    while True:
        time.sleep(1)
