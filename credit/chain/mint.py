"""Reward minting transactions: built and signed offline so the bytes can be stored first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from credit.chain.deploy import System
from credit.chain.rawtx import Receipt

# mintRewards: a fixed part plus, per resident, the resident word, balance and Transfer/RewardMinted
# (about 17.6k measured in a batch of 50, 51k for a single one), with a margin.
GAS_BASE = 80_000
GAS_PER_RESIDENT = 35_000


def mint_gas(n: int) -> int:
    return GAS_BASE + GAS_PER_RESIDENT * n


def build_mint_tx(
    system: System,
    account: LocalAccount,
    epoch: int,
    residents: Sequence[str],
    nonce: int,
    fees: dict[str, int],
) -> tuple[bytes, str]:
    """Sign ``mintRewards(epoch, residents)`` offline; returns (raw bytes, tx hash)."""
    checksummed = [system.w3.to_checksum_address(a) for a in residents]
    data = system.ledger.encode_abi("mintRewards", args=[epoch, checksummed])
    tx = {
        "type": 2,
        "chainId": system.record.chain_id,
        "nonce": nonce,
        "to": system.ledger.address,
        "value": 0,
        "gas": mint_gas(len(residents)),
        "data": data,
        **fees,
    }
    signed = account.sign_transaction(tx)
    return bytes(signed.raw_transaction), "0x" + bytes(signed.hash).hex()


def unpaid_earnings(system: System, residents: Sequence[str], epoch: int) -> list[tuple[str, int]]:
    """(resident, points) of those with earnings in ``epoch`` not yet paid, per the ledger."""
    out = []
    for resident in residents:
        points, paid = system.ledger.functions.epochEarnings(
            system.w3.to_checksum_address(resident), epoch
        ).call()
        if points and not paid:
            out.append((resident, int(points)))
    return out


def minted_events(system: System, receipt: Receipt) -> list[dict[str, Any]]:
    """RewardMinted events of OUR ledger in ``receipt`` (look-alikes from elsewhere ignored)."""
    events = system.ledger.events.RewardMinted().process_receipt(receipt.raw, errors=DISCARD)
    return [
        {
            "resident": e["args"]["resident"].lower(),
            "epoch": e["args"]["epoch"],
            "points": e["args"]["points"],
            "amount": str(e["args"]["amount"]),
        }
        for e in events
        if e["address"] == system.ledger.address
    ]
