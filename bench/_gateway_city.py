"""A city on anvil for the gateway benchmark: deployment, 10,000 residents, signed records.

Every record is of one kind in all three throughput phases: a volunteering claim (category 1,
1-3 units) signed by its resident, confirmed by the two kinds the rules require: a superior and
a neighbour (a registered resident who never claims) as their peer (weights 2 + 1 against a
threshold of 3), each evaluator signing one ``Confirmation`` over the batch's record ids.
Signatures are made with coincurve straight from the ledger's EIP-712 digests
(:class:`credit.audit.digests.Digests`, byte-equal to the chain layer's) before any clock starts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

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
from credit.settings import Settings

DAY = 86400
SUPERIOR, PEER = 0, 1


def _key(label: str) -> bytes:
    return keccak(text=f"consensus-credit gateway bench {label}")


@dataclass(frozen=True)
class Record:
    """One signed claim: what ``relayClaims`` takes and what ``POST /v1/claims`` takes."""

    record: RelayedRecord
    record_id: bytes

    def as_tuple(self) -> tuple[object, ...]:
        """The ``SignedClaim`` tuple of the contract's ABI."""
        c = self.record
        return (
            c.resident,
            c.category,
            c.units,
            c.occurred_at,
            c.deadline,
            c.nonce,
            ZERO32,
            c.r,
            c.vs,
        )

    def as_body(self) -> dict[str, object]:
        """The ``POST /v1/claims`` body (EIP-2098 ``r`` / ``vs``)."""
        c = self.record
        return {
            "resident": c.resident,
            "category": c.category,
            "units": c.units,
            "occurred_at": c.occurred_at,
            "nonce": c.nonce,
            "deadline": c.deadline,
            "r": "0x" + c.r.hex(),
            "vs": "0x" + c.vs.hex(),
        }


@dataclass(frozen=True)
class Endorsement:
    """One evaluator's signature over a batch's record ids (in the given order)."""

    evaluator: str
    kind: int
    deadline: int
    r: bytes
    vs: bytes

    def as_tuple(self, mask: int) -> tuple[object, ...]:
        """The ``Endorsement`` tuple of the contract's ABI."""
        return (self.kind, self.deadline, mask, self.r, self.vs)

    def as_body(self, record_ids: list[bytes]) -> dict[str, object]:
        """The ``POST /v1/confirmations`` body."""
        return {
            "evaluator": self.evaluator,
            "records": ["0x" + r.hex() for r in record_ids],
            "kind": self.kind,
            "deadline": self.deadline,
            "r": "0x" + self.r.hex(),
            "vs": "0x" + self.vs.hex(),
        }


class City:
    """Deploys the system on ``w3``, registers ``residents`` and signs records for them."""

    def __init__(
        self, w3: Web3, artifacts: dict[str, Artifact], ruleset: RuleSet, residents: int
    ) -> None:
        self.w3 = w3
        names = ("operator", "registrar", "superior", "neighbour", "direct")
        self.accounts: dict[str, LocalAccount] = {n: Account.from_key(_key(n)) for n in names}
        gateway = Settings()  # the dev profile's relayer and minter keys, as the gateway uses
        self.relayer = Account.from_key(gateway.relayer_private_key())
        self.minter = Account.from_key(gateway.minter_private_key())
        everyone = [a.address for a in self.accounts.values()]
        fund(w3, [*everyone, self.relayer.address, self.minter.address], 10**20)
        decoder = decoder_for(artifacts)
        self.tx = {n: Transactor(w3, a, decoder, gas=3_000_000) for n, a in self.accounts.items()}
        roles = {
            "REGISTRAR_ROLE": [self.accounts["registrar"].address],
            "SUPERIOR_ROLE": [self.accounts["superior"].address],
            "MINTER_ROLE": [self.minter.address],
        }
        self.system: System = deploy_system(
            self.tx["operator"],
            artifacts,
            ruleset,
            roles=roles,
            network="anvil-bench",
            notice_period=3 * DAY,
            epoch_length=7 * DAY,
        )
        self.chain_id = int(w3.eth.chain_id)
        self.digests = Digests(self.chain_id, str(self.system.ledger.address))
        self.keys = [coincurve.PrivateKey(_key(f"resident {i}")) for i in range(residents)]
        self.addresses = [
            to_checksum_address(keccak(k.public_key.format(compressed=False)[1:])[12:])
            for k in self.keys
        ]
        self.nonces = [0] * residents
        self.registered = 0  # residents registered so far (the first ones); records use them
        self.next_resident = 0
        self.evaluators = sorted(
            [(self.accounts["superior"], SUPERIOR), (self.accounts["neighbour"], PEER)],
            key=lambda pair: int(pair[0].address, 16),
        )
        relay = next(i for i in self.system.ledger.abi if i.get("name") == "relayClaims")
        self.selector = bytes(function_abi_to_4byte_selector(relay))

    def register(self, upto: int | None = None, batch: int = 250) -> float:
        """Register the residents up to ``upto`` (default: all) not registered yet, and the
        neighbour with the first ones (``registerResidents`` in batches); returns the seconds."""
        started = time.perf_counter()
        upto = len(self.addresses) if upto is None else min(upto, len(self.addresses))
        ledger, fresh = self.system.ledger, self.addresses[self.registered : upto]
        if self.registered == 0:
            fresh = [self.accounts["neighbour"].address, *fresh]
        for i in range(0, len(fresh), batch):
            chunk = fresh[i : i + batch]
            fn = ledger.functions.registerResidents(chunk)
            self.tx["registrar"].send(fn, gas=80_000 + 30_000 * len(chunk))
        self.registered = upto
        return time.perf_counter() - started

    def now(self) -> int:
        """The latest block's timestamp."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def records(self, count: int) -> list[Record]:
        """``count`` fresh claims, each by the next resident in turn (their next nonce)."""
        now, deadline = self.now(), self.now() + DAY
        out = []
        for j in range(count):
            i = self.next_resident % (self.registered or len(self.keys))
            self.next_resident += 1
            nonce = self.nonces[i]
            self.nonces[i] += 1
            # a second per nonce: a resident's claims are distinct activities (intake refuses
            # a second claim identical to one still waiting: claim_already_waiting)
            occurred = now - 60 - nonce % 3600
            unsigned = RelayedRecord(
                self.addresses[i], 1, 1 + j % 3, occurred, deadline, nonce, ZERO32, b"", b""
            )
            rid = self.digests.claim(unsigned)
            r, vs = compact_sign(self.keys[i], rid)
            signed = RelayedRecord(**{**unsigned.__dict__, "r": r, "vs": vs})
            out.append(Record(signed, rid))
        return out

    def endorse(self, record_ids: list[bytes], deadline: int) -> list[Endorsement]:
        """The superior's and the neighbour's signatures over ``record_ids`` (sorted by address)."""
        out = []
        for account, kind in self.evaluators:
            digest = self.digests.confirmation(record_ids, kind, deadline)
            r, vs = compact_sign(coincurve.PrivateKey(bytes(account.key)), digest)
            out.append(Endorsement(str(account.address), kind, deadline, r, vs))
        return out

    def relay_calldata(self, batch: list[Record]) -> bytes:
        """``relayClaims`` calldata for ``batch``, each evaluator confirming all of it."""
        ids = [r.record_id for r in batch]
        ends = self.endorse(ids, batch[0].record.deadline)
        mask = (1 << len(batch)) - 1
        args = [[r.as_tuple() for r in batch], [e.as_tuple(mask) for e in ends]]
        return relay_calldata(self.selector, *args)
