"""Filling an anvil chain with relayed records fast, for the audit benchmark.

Batches of ``batch`` volunteering claims per ``relayClaims``, each confirmed by the two kinds of
evaluator the rules require (a superior, and a neighbour as their peer), who sign once per batch.
Claims are signed with coincurve straight from the ledger's EIP-712 digests
(:class:`credit.audit.digests.Digests`, equal to the chain layer's), calldata is ABI-encoded once
per batch, and transactions are signed locally and sent without waiting for
each receipt (anvil mines each at once; the receipts are checked at the end). The clock moves a
day every ``batches_per_day`` batches and each ended epoch's rewards are minted, so the audit
replays epochs, rule terms and rewards as well as records.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import coincurve
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import function_abi_to_4byte_selector, keccak, to_checksum_address
from web3 import Web3

from bench._relay_calldata import ZERO32, compact_sign, relay_calldata
from credit.artifacts import Artifact
from credit.audit.digests import Digests
from credit.audit.model import RelayedRecord
from credit.chain import Transactor, deploy_system, fund
from credit.chain.deploy import System, decoder_for
from credit.ruleset import RuleSet

DAY, EPOCH = 86400, 7 * 86400
SUPERIOR, PEER = 0, 1
NO_DEADLINE = 2**48 - 1


def _key(label: str) -> bytes:
    return keccak(text=f"consensus-credit audit bench {label}")


@dataclass
class Filled:
    system: System
    records: int = 0
    residents: int = 0
    transactions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


class Filler:
    """Deploys a city on ``w3`` and fills it; see the module docstring."""

    def __init__(
        self, w3: Web3, artifacts: dict[str, Artifact], ruleset: RuleSet, residents: int
    ) -> None:
        self.w3 = w3
        self.accounts: dict[str, LocalAccount] = {
            n: Account.from_key(_key(n))
            for n in ("operator", "registrar", "superior", "neighbour", "minter")
        }
        fund(w3, [a.address for a in self.accounts.values()], 10**21)
        decoder = decoder_for(artifacts)
        self.tx = {n: Transactor(w3, a, decoder, gas=3_000_000) for n, a in self.accounts.items()}
        roles = {
            "REGISTRAR_ROLE": [self.accounts["registrar"].address],
            "SUPERIOR_ROLE": [self.accounts["superior"].address],
            "MINTER_ROLE": [self.accounts["minter"].address],
        }
        self.system = deploy_system(
            self.tx["operator"],
            artifacts,
            ruleset,
            roles=roles,
            network="anvil-bench",
            notice_period=3 * DAY,
            epoch_length=EPOCH,
        )
        self.digests = Digests(w3.eth.chain_id, str(self.system.ledger.address))
        self.keys = [coincurve.PrivateKey(_key(f"resident {i}")) for i in range(residents)]
        self.addresses = [
            to_checksum_address(keccak(k.public_key.format(compressed=False)[1:])[12:])
            for k in self.keys
        ]
        self.nonces = [0] * residents
        self.evaluators = sorted(
            [(self.accounts["superior"], SUPERIOR), (self.accounts["neighbour"], PEER)],
            key=lambda pair: int(pair[0].address, 16),
        )
        relay = next(i for i in self.system.ledger.abi if i.get("name") == "relayClaims")
        self.selector = bytes(function_abi_to_4byte_selector(relay))
        self.sent: list[bytes] = []
        self.relayer = self.accounts["operator"]
        self.relayer_nonce = w3.eth.get_transaction_count(self.relayer.address)
        self.chain_id = w3.eth.chain_id

    def register(self, batch: int = 200) -> None:
        """Register the residents and the neighbour (a resident who never claims)."""
        ledger, everyone = self.system.ledger, [self.accounts["neighbour"].address, *self.addresses]
        for i in range(0, len(everyone), batch):
            chunk = everyone[i : i + batch]
            fn = ledger.functions.registerResidents(chunk)
            self.tx["registrar"].send(fn, gas=80_000 + 30_000 * len(chunk))

    def _batch(self, first: int, size: int, now: int) -> bytes:
        claims, ids = [], []
        for j in range(size):
            i = (first + j) % len(self.keys)
            nonce = self.nonces[i]
            self.nonces[i] += 1
            rec = RelayedRecord(
                self.addresses[i], 1, 1 + j % 3, now - 60, NO_DEADLINE, nonce, ZERO32, b"", b""
            )
            rid = self.digests.claim(rec)
            r, vs = compact_sign(self.keys[i], rid)
            ids.append(rid)
            claims.append(
                (rec.resident, 1, rec.units, rec.occurred_at, NO_DEADLINE, nonce, ZERO32, r, vs)
            )
        mask = (1 << size) - 1
        endorsements = []
        for account, kind in self.evaluators:
            digest = self.digests.confirmation(ids, kind, NO_DEADLINE)
            r, vs = compact_sign(coincurve.PrivateKey(bytes(account.key)), digest)
            endorsements.append((kind, NO_DEADLINE, mask, r, vs))
        return relay_calldata(self.selector, claims, endorsements)

    def _send(self, data: bytes, gas: int) -> None:
        tx = {
            "to": self.system.ledger.address,
            "data": data,
            "gas": gas,
            "value": 0,
            "nonce": self.relayer_nonce,
            "chainId": self.chain_id,
            "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 10**9,
        }
        signed = self.relayer.sign_transaction(tx)  # type: ignore[arg-type]
        self.sent.append(bytes(self.w3.eth.send_raw_transaction(signed.raw_transaction)))
        self.relayer_nonce += 1

    def _mint(self, epoch: int) -> None:
        ledger = self.system.ledger
        for i in range(0, len(self.addresses), 200):
            fn = ledger.functions.mintRewards(epoch, self.addresses[i : i + 200])
            self.tx["minter"].send(fn, gas=8_000_000)

    def fill(
        self,
        records: int,
        *,
        batch: int = 200,
        batches_per_day: int = 20,
        say: Callable[[str], None] = print,
    ) -> Filled:
        """Relay ``records`` claims; returns counts and the time each phase took."""
        out = Filled(self.system, residents=len(self.keys))
        started = time.perf_counter()
        self.register()
        out.seconds["register"] = time.perf_counter() - started
        genesis = int(self.system.ledger.functions.epochSchedule().call()[1])
        now = int(self.w3.eth.get_block("latest")["timestamp"])
        signing = sending = 0.0
        done, n = 0, 0
        while done < records:
            size = min(batch, records - done)
            t = time.perf_counter()
            data = self._batch(done, size, now)
            signing += time.perf_counter() - t
            t = time.perf_counter()
            self._send(data, 60_000 + 30_000 * size)
            sending += time.perf_counter() - t
            done, n = done + size, n + 1
            if n % batches_per_day == 0 and done < records:
                self._wait()
                before = (now - genesis) // EPOCH
                self.w3.provider.make_request("evm_increaseTime", [DAY])  # type: ignore[arg-type]
                self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
                now = int(self.w3.eth.get_block("latest")["timestamp"])
                if (now - genesis) // EPOCH > before:
                    self._mint(before)
            if n % 50 == 0:
                say(f"  {done:,} records relayed")
        self._wait()
        out.records, out.transactions = done, n
        out.seconds.update(signing=signing, sending=sending, total=time.perf_counter() - started)
        return out

    def _wait(self) -> None:
        """Wait for every sent transaction and insist it succeeded."""
        for tx_hash in self.sent:
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.005)  # type: ignore[arg-type]
            if receipt["status"] != 1:
                raise RuntimeError(f"relay transaction 0x{tx_hash.hex()} failed")
        self.sent.clear()
