"""Reward minting transactions: built and signed offline so the bytes can be stored first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from credit.chain.deploy import System
from credit.chain.rawtx import Receipt

# mintRewards gas limit, for the worst case rather than the usual one (unused gas is not paid).
# Fixed part: the first run of an epoch fixes its terms (a call into the rule book's checkpoints
# and a new storage slot: ~60k above a plain run) and may create totalSupply. Per resident: the
# resident word, a first balance (22,100 for a new holder), a spilled epoch's word, Transfer and
# RewardMinted (17.6k measured in a batch of 50 of existing holders; ~40k worst case).
GAS_BASE = 150_000
GAS_PER_RESIDENT = 45_000


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
