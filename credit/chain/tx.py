"""Signing and sending transactions from a local key, with reverts surfaced as typed errors."""

from __future__ import annotations

import threading
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from credit.chain.reverts import ErrorDecoder
from credit.errors import ChainError, ContractRevert


class Transactor:
    """Sends transactions signed by one local key, in nonce order.

    One Transactor per key: it keeps the nonce itself (under a lock), so concurrent callers never
    reuse one. ``gas`` fixes the gas limit (fast on py-evm, whose estimation re-executes the
    transaction several times); ``None`` estimates, which also reports a revert before sending.
    """

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        decoder: ErrorDecoder,
        *,
        gas: int | None = None,
        poll_latency: float = 0.01,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.decoder = decoder
        self.gas = gas
        self.poll_latency = poll_latency
        self._chain_id = w3.eth.chain_id
        self._lock = threading.Lock()
        self._nonce: int | None = None

    def reset_nonce(self) -> None:
        """Forget the cached nonce (after a chain snapshot was reverted, say)."""
        with self._lock:
            self._nonce = None

    @property
    def address(self) -> str:
        return str(self.account.address)

    def send(self, fn: ContractFunction, *, gas: int | None = None, value: int = 0) -> TxReceipt:
        """Sign, send and wait for ``fn``; raises ContractRevert with the decoded custom error."""
        gas_limit = gas or self.gas
        params: dict[str, Any] = {"from": self.address, "value": value, "chainId": self._chain_id}
        if gas_limit is None:
            try:
                gas_limit = int(fn.estimate_gas(params) * 1.25) + 10_000  # type: ignore[arg-type]
            except ChainError:
                raise  # NodeUnavailable from the transport
            except Exception as exc:  # the node reports the revert during estimation
                raise self.decoder.from_exception(exc) from exc
        with self._lock:
            if self._nonce is None:
                self._nonce = self.w3.eth.get_transaction_count(self.account.address, "pending")
            params.update(self._fees(), gas=gas_limit, nonce=self._nonce)
            tx = fn.build_transaction(params)  # type: ignore[arg-type]
            signed = self.account.sign_transaction(tx)  # type: ignore[arg-type]
            try:
                tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            except Exception as exc:
                self._nonce = None  # re-read from the node: it may or may not have taken it
                if isinstance(exc, ChainError):
                    raise  # NodeUnavailable from the transport
                raise self.decoder.from_exception(exc) from exc
            self._nonce += 1
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=self.poll_latency)
        if receipt["status"] != 1:
            raise self._explain(fn, params, receipt)
        return receipt

    def send_checked(self, fn: ContractFunction, *, gas: int) -> TxReceipt:
        """Call ``fn`` first (the contract's refusal, decoded, costs no gas), then send it with the
        fixed gas limit ``gas`` (for a call whose estimate runs low, as a Groth16 check's does)."""
        try:
            fn.call({"from": self.address, "gas": gas})
        except ChainError:
            raise  # NodeUnavailable from the transport
        except Exception as exc:  # the node reports the revert
            raise self.decoder.from_exception(exc) from exc
        return self.send(fn, gas=gas)

    def deploy(self, abi: list[dict[str, Any]], bytecode: str, *args: Any) -> TxReceipt:
        """Deploy a contract; returns the receipt (``contractAddress`` holds the address)."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        return self.send(factory.constructor(*args), gas=8_000_000)  # type: ignore[arg-type]

    def _fees(self) -> dict[str, int]:
        base = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
        tip = 10**9
        return {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}

    def _explain(
        self, fn: ContractFunction, params: dict[str, Any], receipt: TxReceipt
    ) -> ChainError:
        """Replay a failed transaction as a call to learn its error."""
        call = {k: v for k, v in params.items() if k in ("from", "value", "gas")}
        if not hasattr(fn, "call"):
            return ChainError(
                f"deployment {receipt['transactionHash'].hex()} failed after "
                f"{receipt['gasUsed']} gas: check the constructor arguments and the gas limit"
            )
        # First on the failed block itself (a reverted transaction changed nothing, and the block's
        # timestamp is the one it ran at), then on its parent.
        for block in (receipt["blockNumber"], receipt["blockNumber"] - 1):
            try:
                fn.call(call, block_identifier=block)  # type: ignore[arg-type]
            except Exception as exc:
                error = self.decoder.from_exception(exc)
                if isinstance(error, ContractRevert):
                    return error

        return ChainError(
            f"transaction {receipt['transactionHash'].hex()} reverted (gas used "
            f"{receipt['gasUsed']}); replaying it did not reproduce the error"
        )
