"""The chain facts a claim is checked against, read in one JSON-RPC round trip; chain id caching.

Before spending gas the relay checks each claim against the chain's time, the resident's
registration and their claim nonce. Through web3's contract layer that was three requests, each
preceded by web3's own ``eth_chainId`` (its validation middleware asks before every ``eth_call``),
plus ABI look-ups and selector hashing per call: most of the gateway's time per claim. Here it is
one HTTP batch of a raw ``eth_getBlockByNumber`` and two ``eth_call`` with precomputed calldata.
Providers that cannot batch (the embedded chain) get the same three reads one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import function_signature_to_4byte_selector
from web3 import HTTPProvider, Web3

from credit.chain import relay_reads
from credit.chain.deploy import System
from credit.errors import ChainError

_IS_RESIDENT = bytes(function_signature_to_4byte_selector("isResident(address)"))
_CLAIM_NONCE = bytes(function_signature_to_4byte_selector("claimNonce(address)"))


def cache_chain_id(w3: Web3) -> None:
    """Let ``w3`` remember ``eth_chainId`` (a node's chain id never changes; the deployment was
    checked against it at start-up) instead of asking before every call and transaction."""
    provider: Any = w3.provider
    provider.cache_allowed_requests = True
    provider.cacheable_requests = {"eth_chainId"}


@dataclass(frozen=True)
class ClaimContext:
    """What the ledger will check a claim against, as of the latest block."""

    chain_time: int
    registered: bool
    claim_nonce: int


def claim_context(system: System, resident: str) -> ClaimContext:
    """The latest block's time, whether ``resident`` is registered, and their next claim nonce."""
    provider = system.w3.provider
    if not isinstance(provider, HTTPProvider):
        return ClaimContext(
            relay_reads.chain_time(system),
            relay_reads.is_resident(system, resident),
            relay_reads.claim_nonce(system, resident),
        )
    argument = bytes(12) + bytes.fromhex(resident.removeprefix("0x"))
    ledger = str(system.ledger.address)
    requests: list[tuple[Any, Any]] = [
        ("eth_getBlockByNumber", ["latest", False]),
        *(
            ("eth_call", [{"to": ledger, "data": "0x" + (sel + argument).hex()}, "latest"])
            for sel in (_IS_RESIDENT, _CLAIM_NONCE)
        ),
    ]
    try:
        responses = provider.make_batch_request(requests)
    except Exception as exc:  # connection refused, timeout
        raise ChainError(
            f"the node did not answer ({type(exc).__name__}): check that it is reachable, retry"
        ) from exc
    if not isinstance(responses, list) or any("result" not in r for r in responses):
        raise ChainError(f"the node refused the claim's reads: {responses!r:.300}")
    block, registered, nonce = (r["result"] for r in responses)
    return ClaimContext(int(block["timestamp"], 16), int(registered, 16) != 0, int(nonce, 16))
