"""Reading a deployment's whole history from a node into :class:`ChainData` for the checks.

Logs are asked for the RuleBook's and CreditLedger's addresses only (a look-alike event from any
other contract is never read), from the deployment block to the audited block, in pages whose
size adapts: halved when the node refuses a range ("too many results", a response limit) or
times out, doubled after each page it serves. Each page's events get their block's time and are
checked against its hash; transactions that booked records without a direct confirmation are
fetched so their calldata can be decoded. Pages go to an optional :class:`ReplayCache`, so an
interrupted replay resumes where it stopped. The views the checks compare with (``creditOf``,
``totalSupply``, the published terms, the code) are read at the audited block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from credit.artifacts import Artifact
from credit.audit.cache import ReplayCache
from credit.audit.decoding import (
    batch_from_call,
    fast_relay_batch,
    metadata_trailer,
    packed_claim_batch,
)
from credit.audit.model import (
    ChainData,
    ChainEvent,
    CodeCheck,
    Deployment,
    FinalisedRoot,
    IdentityRegistration,
    PrivateProofsData,
    RelayedBatch,
    Terms,
    Transaction,
)
from credit.chain.calldata import CalldataDecoder
from credit.chain.deploy import System
from credit.chain.events import RawEvent
from credit.chain.rpc_reads import Web3Reader, reader_for
from credit.chain.zk import attach_private_proofs, finalized_root_events, registrations
from credit.errors import ChainError
from credit.facts import Evidence

Progress = Callable[[int, int, int], None]  # (blocks done, blocks in all, events so far)
RECORD_EVENTS = frozenset({"RecordCredited", "ViolationRecorded"})
RELAY_FUNCTIONS = ("relayClaims", "relayReports", "relayClaimPacked")
_RETRYABLE = ("too many", "more than", "limit", "exceed", "timeout", "timed out", "size")
_MAX_ATTEMPTS = 5


def retryable(exc: BaseException) -> bool:
    """Whether a failed log query may succeed over a smaller range (or on a second try)."""
    text = f"{type(exc).__name__} {exc}".lower()
    return any(word in text for word in _RETRYABLE)


class Replayer:
    """Pages through a deployment's logs; see the module docstring."""

    def __init__(
        self,
        system: System,
        *,
        cache: ReplayCache | None = None,
        progress: Progress | None = None,
        window: int = 5_000,
        max_window: int = 200_000,
    ) -> None:
        self.system = system
        self.source = reader_for(system)
        self.start_block = system.record.start_block
        self.cache = cache
        self.progress = progress or (lambda _done, _all, _events: None)
        self.window = max(1, window)
        self.max_window = max(self.window, max_window)
        self.shrinks = 0  # how often the window was halved (for the report and tests)
        self.pages = 0
        self.resumed = 0  # the block the cache let the replay start after (0: from the start)

    def _page(self, first: int, last: int) -> tuple[list[RawEvent], int]:
        """Our logs from ``first`` to at most ``last``, and the last block they cover; halves the
        window until the node serves the range."""
        attempts = 0
        while True:
            try:
                return self.source.logs(first, last), last
            except Exception as exc:
                if not retryable(exc):
                    raise ChainError(
                        f"the node refused the log query {first}-{last}: {exc}"
                    ) from exc
                attempts += 1
                if last > first:
                    self.shrinks += 1
                    self.window = max(1, (last - first + 1) // 2)
                    last = first + self.window - 1
                elif attempts >= _MAX_ATTEMPTS:
                    raise ChainError(
                        f"the node keeps failing the log query for block {first}: {exc}; retry "
                        "later or use a node with a larger log limit"
                    ) from exc

    def _resume(self, to_block: int) -> tuple[int, list[ChainEvent], dict[str, Transaction]]:
        """Where the cache stops (rewound past any reorg), and what it holds up to there."""
        start = self.start_block - 1
        cursor = self.cache.cursor() if self.cache is not None else None
        if self.cache is None or cursor is None:
            return start, [], {}
        number, block_hash = cursor
        if not self._on_chain(number, block_hash):
            number, found = self._ancestor(number)
            self.cache.rewind(number, found)
        number = min(number, to_block)
        self.resumed = max(0, number)
        return number, self.cache.events(number), self.cache.transactions(number)

    def _ancestor(self, number: int) -> tuple[int, str | None]:
        """The newest stored block below ``number`` that is still on the chain."""
        assert self.cache is not None
        below = number
        while older := self.cache.stored_blocks(below):
            for n, h in older:
                if self._on_chain(n, h):
                    return n, h
            below = older[-1][0]
        return self.start_block - 1, None

    def _on_chain(self, number: int, block_hash: str) -> bool:
        header = self.source.headers([number])[number]
        return header is not None and header.hash == block_hash

    def read(self, to_block: int) -> tuple[list[ChainEvent], dict[str, Transaction]]:
        """Every event of the deployment up to ``to_block`` and the record-booking transactions."""
        cursor, events, txs = self._resume(to_block)
        total = max(1, to_block - self.start_block + 1)
        while cursor < to_block:
            raw, last = self._page(cursor + 1, min(to_block, cursor + self.window))
            page, blocks, fetched = self._complete(raw, last)
            if self.cache is not None:
                self.cache.save_page(page, blocks, fetched.values(), (last, blocks[last]))
            events.extend(page)
            txs.update(fetched)
            cursor = last
            self.pages += 1
            self.window = min(self.max_window, self.window * 2)
            self.progress(cursor - self.start_block + 1, total, len(events))
        return events, txs

    def _complete(
        self, raw: list[RawEvent], last: int
    ) -> tuple[list[ChainEvent], dict[int, str], dict[str, Transaction]]:
        """Block times and hashes for a page's events, and the transactions to decode."""
        blocks: dict[int, str] = {}
        times: dict[int, int] = {}
        headers = self.source.headers(sorted({e.block_number for e in raw} | {last}))
        for number, header in headers.items():
            if header is None:
                raise ChainError(
                    f"block {number} is not on the chain any more: run the audit again"
                )
            blocks[number], times[number] = header.hash, header.timestamp
        moved = [e for e in raw if blocks[e.block_number] != e.block_hash]
        if moved:
            raise ChainError(
                f"block {moved[0].block_number} was replaced while it was read (a reorg): run the "
                "audit again, or audit an older block with --block"
            )
        page = [
            ChainEvent(
                e.name,
                e.args,
                e.block_number,
                e.log_index,
                e.tx_hash,
                times[e.block_number],
                e.address,
                e.block_hash,
            )
            for e in raw
        ]
        confirmed = {e.tx_hash for e in page if e.name == "ConfirmationRecorded"}
        wanted = sorted({e.tx_hash for e in page if e.name in RECORD_EVENTS} - confirmed)
        fetched = {
            h: Transaction(t.hash, t.sender, t.to, t.block_number, t.input)
            for h, t in self.source.transactions(wanted).items()
        }
        return page, blocks, fetched


def read_chain(
    system: System,
    artifacts: dict[str, Artifact],
    *,
    block: int | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    window: int = 5_000,
) -> ChainData:
    """Replay the deployment up to ``block`` (default: the head) and read the views there."""
    source: Web3Reader = reader_for(system)
    head, start = source.head(), system.record.start_block
    to_block = head if block is None else block
    if to_block > head or to_block < start:
        raise ChainError(
            f"block {to_block} is outside the deployment's history ({start}..{head}): pass a "
            "block in that range"
        )
    record = system.record
    ledger, rule_book = system.ledger, system.rule_book
    identity = {
        "chain_id": record.chain_id,
        "ledger": str(ledger.address).lower(),
        "rule_book": str(rule_book.address).lower(),
        "start": record.start_block,
    }
    cache = ReplayCache(cache_dir, identity) if cache_dir is not None else None
    replayer = Replayer(system, cache=cache, progress=progress, window=window)
    try:
        events, txs = replayer.read(to_block)
    finally:
        if cache is not None:
            cache.close()
    header = source.headers([to_block])[to_block]
    assert header is not None
    length, genesis = ledger.functions.epochSchedule().call(block_identifier=to_block)
    batches = relay_batches(txs.values(), ledger.abi, str(ledger.address).lower())
    terms = {}
    for e in events:
        if e.name == "RuleSetPublished":
            (content, expiry, window_s, rate, cap), *_ = rule_book.functions.ruleSet(
                int(e.args["ruleVersion"])
            ).call(block_identifier=to_block)
            terms[int(e.args["ruleVersion"])] = Terms(
                "0x" + bytes(content).hex(), int(expiry), int(window_s), int(rate), int(cap)
            )
    residents = sorted({e.args["resident"] for e in events if "resident" in e.args})
    credit_of = source.credit_of(residents, to_block)
    code = tuple(
        CodeCheck(
            label,
            str(contract.address).lower(),
            metadata_trailer(bytes.fromhex(artifacts[label].deployed_bytecode[2:]))
            if label in artifacts
            else "",
            metadata_trailer(bytes(system.w3.eth.get_code(contract.address, to_block))),
        )
        for label, contract in (("CreditLedger", ledger), ("RuleBook", rule_book))
    )
    private = _private_proofs(system, artifacts, source, to_block)
    return ChainData(
        deployment=Deployment(
            chain_id=record.chain_id,
            ledger=str(ledger.address).lower(),
            rule_book=str(rule_book.address).lower(),
            start_block=record.start_block,
            epoch_length=int(length),
            genesis=int(genesis),
            notice_period=int(rule_book.functions.noticePeriod().call(block_identifier=to_block)),
            notice_period_file=record.notice_period,
        ),
        block=to_block,
        block_time=header.timestamp,
        events=events,
        batches=batches,
        transactions=txs,
        terms=terms,
        credit_of=credit_of,
        total_supply=int(ledger.functions.totalSupply().call(block_identifier=to_block)),
        code=code,
        replay={
            "pages": replayer.pages,
            "shrinks": replayer.shrinks,
            "resumed_from": replayer.resumed,
        },
        private_proofs=private,
    )


def _private_proofs(
    system: System, artifacts: dict[str, Artifact], source: Web3Reader, to_block: int
) -> PrivateProofsData | None:
    """The identity registrations and finalised Poseidon roots up to ``to_block``, when the
    deployment lists private proofs (their contracts' own logs only)."""
    proofs = attach_private_proofs(system, artifacts)
    if proofs is None:
        return None
    start = system.record.start_block
    registered = registrations(proofs.registry, to_block, start)
    finalised = finalized_root_events(proofs.roots, to_block, start)
    blocks = sorted({r.block_number for r in registered} | {f.block_number for f in finalised})
    headers = source.headers(blocks) if blocks else {}
    times = {}
    for n in blocks:
        header = headers.get(n)
        if header is None:
            raise ChainError(f"block {n} vanished during the audit (a reorg?): run it again")
        times[n] = header.timestamp
    return PrivateProofsData(
        registry=str(proofs.registry.address).lower(),
        roots=str(proofs.roots.address).lower(),
        registrations=tuple(
            IdentityRegistration(
                r.resident,
                r.commitment,
                Evidence(r.tx_hash, r.block_number, r.log_index, times[r.block_number]),
            )
            for r in registered
        ),
        finalised=tuple(
            FinalisedRoot(
                f.epoch,
                "0x" + f.root.hex(),
                f.revealers,
                Evidence(f.tx_hash, f.block_number, f.log_index, times[f.block_number]),
            )
            for f in finalised
        ),
    )


def relay_batches(
    txs: Iterable[Transaction], abi: Sequence[Mapping[str, Any]], ledger: str
) -> dict[str, RelayedBatch]:
    """The relay batches among ``txs`` (calls to ``ledger``), decoded from their calldata."""
    decoder = CalldataDecoder(abi)
    relays = {s: name for s, name in decoder.selectors.items() if name in RELAY_FUNCTIONS}
    out = {}
    for tx in txs:
        function = relays.get(tx.input[:4]) if tx.to == ledger else None
        if function is None:
            continue
        if function == "relayClaimPacked":  # a tight encoding, always read by hand
            batch = packed_claim_batch(tx.hash, tx.input[4:])
        else:
            batch = fast_relay_batch(tx.hash, function, tx.input[4:])
            if batch is None:  # not the canonical encoding: decode it the slow, general way
                call = decoder.decode(tx.input)
                batch = batch_from_call(tx.hash, call.function, call.args) if call else None
        if batch is not None:
            out[tx.hash] = batch
    return out
