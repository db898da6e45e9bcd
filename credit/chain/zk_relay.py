"""What a gateway relays for private proofs: a resident's signed identity registration
(:func:`relay_register`) and a gate's pass (:func:`relay_pass`), each sent after a call that
reports the contract's refusal, decoded, without spending gas."""

from __future__ import annotations

from typing import Any

from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract
from web3.types import TxReceipt

from credit.chain.tx import Transactor
from credit.chain.zk import GATE_GAS, register_typed_data
from credit.errors import ChainError


def register_digest(
    chain_id: int, registry: str, resident: str, commitment: int, deadline: int
) -> bytes:
    """The EIP-712 digest a resident signs for ``registerBySig``."""
    payload = register_typed_data(chain_id, registry, resident, commitment, deadline)
    signable = encode_typed_data(full_message=payload)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def _checked_send(sender: Transactor, fn: Any, gas: int) -> TxReceipt:
    """Call ``fn`` first (the contract's refusal, decoded, costs no gas), then send it with a
    fixed gas limit (an estimate of a Groth16 check runs low: see :data:`GATE_GAS`)."""
    try:
        fn.call({"from": sender.address, "gas": gas})
    except ChainError:
        raise  # NodeUnavailable from the transport
    except Exception as exc:  # the node reports the revert
        raise sender.decoder.from_exception(exc) from exc
    receipt: TxReceipt = sender.send(fn, gas=gas)
    return receipt


def relay_register(
    sender: Transactor,
    registry: Contract,
    resident: str,
    commitment: int,
    deadline: int,
    signature: bytes,
) -> TxReceipt:
    """Relay a resident's signed registration; a refusal raises its ContractRevert unsent."""
    fn = registry.functions.registerBySig(
        to_checksum_address(resident), commitment, deadline, signature
    )
    return _checked_send(sender, fn, 200_000)


def relay_pass(
    sender: Transactor,
    gate: Contract,
    epoch: int,
    root: int,
    nullifier: int,
    recipient: str,
    proof: tuple[list[int], list[list[int]], list[int]],
) -> TxReceipt:
    """Relay a pass of ``gate``; a refusal raises its ContractRevert unsent."""
    fn = gate.functions["pass"](epoch, root, nullifier, to_checksum_address(recipient), proof)
    return _checked_send(sender, fn, GATE_GAS)
