"""Is the chain there, and is it the chain our deployment lives on? (for readiness probes)."""

from __future__ import annotations

from credit.chain.deploy import System
from credit.errors import ChainError


def check_chain(system: System) -> int:
    """The node's chain id; :class:`ChainError` if unreachable or not the deployment's chain."""
    try:
        chain_id = int(system.w3.eth.chain_id)
        system.w3.eth.get_block("latest")
    except ChainError:
        raise  # NodeUnavailable from the transport says it already
    except Exception as exc:
        raise ChainError(
            f"the chain node does not answer ({type(exc).__name__}): start it or fix the RPC URL"
        ) from exc
    if chain_id != system.record.chain_id:
        raise ChainError(
            f"the node's chain id is {chain_id} but the deployment is on {system.record.chain_id}: "
            "point the gateway at the right network"
        )
    return chain_id
