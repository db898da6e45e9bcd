"""The chain facts claims are checked against, read in one JSON-RPC round trip; chain id caching.

Before spending gas the relay checks each claim against the chain's time, the resident's
registration and their claim nonce. Through web3's contract layer that was three requests per
claim, each preceded by web3's own ``eth_chainId`` (its validation middleware asks before every
``eth_call``), plus ABI look-ups and selector hashing per call: most of the gateway's time per
claim. Here it is one HTTP batch of a raw ``eth_getBlockByNumber`` and one ``eth_call`` (per 256
residents) of creation code that reads both facts of every resident of a bulk request
(:func:`claim_contexts`, :mod:`credit.chain.claim_batch`). Providers that cannot batch (the
embedded chain) get the same reads one by one.

These reads are fresh, never cached: a stale registration or nonce would let a claim through
that the ledger then refuses, and the refused batch costs gas.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eth_utils import function_signature_to_4byte_selector
from web3 import HTTPProvider, Web3

from credit.chain import claim_batch, relay_reads
from credit.chain.deploy import System, role_id
from credit.errors import ChainError

_IS_RESIDENT = bytes(function_signature_to_4byte_selector("isResident(address)"))
_HAS_ROLE = bytes(function_signature_to_4byte_selector("hasRole(bytes32,address)"))


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


@dataclass(frozen=True)
class ResidentState:
    """A resident's registration and next claim nonce on chain."""

    registered: bool
    claim_nonce: int


@dataclass(frozen=True)
class ClaimContexts:
    """The latest block's time and the state of each resident asked about."""

    chain_time: int
    residents: dict[str, ResidentState]  # by lower-case address

    def of(self, resident: str) -> ClaimContext:
        state = self.residents[resident.lower()]
        return ClaimContext(self.chain_time, state.registered, state.claim_nonce)


def claim_context(system: System, resident: str) -> ClaimContext:
    """The latest block's time, whether ``resident`` is registered, and their next claim nonce."""
    return claim_contexts(system, [resident]).of(resident)


def claim_contexts(system: System, residents: Iterable[str]) -> ClaimContexts:
    """The latest block's time and, for each of ``residents``, registration and claim nonce.

    One ``eth_call`` per 256 residents runs :mod:`credit.chain.claim_batch`'s creation code,
    which reads both from the ledger for each of them; over HTTP the block and those calls go in
    one JSON-RPC batch."""
    wanted = list(dict.fromkeys(r.lower() for r in residents))
    size = claim_batch.MAX_RESIDENTS_PER_CALL
    chunks = [wanted[i : i + size] for i in range(0, len(wanted), size)]
    ledger = str(system.ledger.address)
    calls = [{"data": "0x" + claim_batch.call_data(ledger, chunk).hex()} for chunk in chunks]
    now, answers = _latest(system, calls)
    states: dict[str, ResidentState] = {}
    for chunk, answer in zip(chunks, answers, strict=True):
        try:
            found = claim_batch.decode(answer, len(chunk))
        except Exception as exc:  # not what the creation code returns: not a node we know
            raise ChainError(f"the node's answer to the claims' reads is malformed: {exc}") from exc
        for resident, (registered, nonce) in zip(chunk, found, strict=True):
            states[resident] = ResidentState(registered, nonce)
    return ClaimContexts(now, states)


def confirmer_context(system: System, evaluator: str, kind: int) -> tuple[int, bool]:
    """The latest block's time and whether ``evaluator`` may confirm as EvaluatorKind ``kind``
    (its role; registration for PEER), in one round trip."""
    if not isinstance(system.w3.provider, HTTPProvider):
        return relay_reads.chain_time(system), relay_reads.can_confirm_as(system, evaluator, kind)
    if kind == relay_reads.PEER:
        call = _IS_RESIDENT + _word_of(evaluator)
    elif kind in relay_reads.KIND_ROLES:
        call = _HAS_ROLE + role_id(relay_reads.KIND_ROLES[kind]) + _word_of(evaluator)
    else:
        return relay_reads.chain_time(system), False
    now, (answer,) = _latest(
        system, [{"to": str(system.ledger.address), "data": "0x" + call.hex()}]
    )
    return now, int.from_bytes(answer, "big") != 0


def _word_of(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address.removeprefix("0x"))


def _latest(system: System, calls: list[dict[str, str]]) -> tuple[int, list[bytes]]:
    """The latest block's time and the answer of each ``eth_call`` (at "latest"): over HTTP in
    one JSON-RPC batch, else one by one."""
    provider = system.w3.provider
    if not isinstance(provider, HTTPProvider):
        now = relay_reads.chain_time(system)
        return now, [bytes(system.w3.eth.call(call)) for call in calls]  # type: ignore[arg-type]
    requests: list[tuple[Any, Any]] = [("eth_getBlockByNumber", ["latest", False])]
    requests.extend(("eth_call", [call, "latest"]) for call in calls)
    try:
        responses = provider.make_batch_request(requests)
    except ChainError:
        raise  # NodeUnavailable from the transport: connection refused, timeout
    except Exception as exc:
        raise ChainError(
            f"the node did not answer ({type(exc).__name__}): check that it is reachable, retry"
        ) from exc
    if (
        not isinstance(responses, list)
        or len(responses) != len(requests)
        or any("result" not in r for r in responses)
    ):
        raise ChainError(f"the node refused the relay's reads: {responses!r:.300}")
    results = [r["result"] for r in responses]
    answers = [bytes.fromhex(str(a).removeprefix("0x")) for a in results[1:]]
    return int(results[0]["timestamp"], 16), answers
