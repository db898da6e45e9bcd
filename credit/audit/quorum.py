"""Quorums: every booked record had distinct, entitled evaluators enough to meet its rule.

Relayed records: the relay transaction's calldata is decoded (see :mod:`credit.chain.calldata`);
each record id is recomputed from the signed claim (or report) and its signer recovered; each
endorsement's digest is rebuilt over the ids its mask selects, in batch order, and its evaluator
recovered. Direct records: the ``ConfirmationRecorded`` events. Either way each evaluator must hold
the role of its kind at that block (PEER: a registered resident), must not be the resident nor
the reporter, must be distinct, and the weights, count and required kinds under the stamped rule
version must meet the quorum. Automated records must come from a VERIFIER_ROLE holder. A claim
the ledger skipped in its batch (``ClaimSkipped``) booked nothing and needs none of this.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from credit.audit.digests import Digests, recover, selected
from credit.audit.model import ChainData, ChainEvent, Findings, Position, RelayedBatch
from credit.audit.roles import LEDGER, RoleTimeline
from credit.audit.rules import CategoryRule, RuleHistory
from credit.facts import Evidence
from credit.vocabulary import KIND_NAMES, KIND_ROLES

RECORD_EVENTS = ("RecordCredited", "ViolationRecorded")


@dataclass
class QuorumStats:
    relayed: int = 0
    direct: int = 0
    automated: int = 0
    unverifiable: int = 0
    signatures: int = 0  # claim, report and endorsement signatures recovered


class _Tally:
    """Weight, confirmations and kinds present of one record under its rule (as the contract)."""

    def __init__(self) -> None:
        self.weight = 0
        self.count = 0
        self.kinds = 0

    def add(self, rule: CategoryRule, kind: int, times: int = 1) -> None:
        weight = rule.weight_of(kind)
        if weight and times:
            self.weight += weight * times
            self.count += times
            self.kinds |= 1 << kind

    def met(self, rule: CategoryRule) -> bool:
        required = rule.required_kinds
        return (
            self.weight >= rule.threshold
            and self.count >= rule.min_confirmations
            and self.kinds & required == required
        )


class QuorumChecker:
    def __init__(
        self,
        data: ChainData,
        history: RuleHistory,
        roles: RoleTimeline,
        found: Findings,
    ) -> None:
        self.data = data
        self.history = history
        self.roles = roles
        self.found = found
        self.digests = Digests(data.deployment.chain_id, data.deployment.ledger)
        self.stats = QuorumStats()

    def run(self) -> QuorumStats:
        by_tx: dict[str, list[ChainEvent]] = defaultdict(list)
        confirmations: dict[str, list[ChainEvent]] = defaultdict(list)
        reporters: dict[str, str] = {}
        skipped: dict[str, set[str]] = defaultdict(set)
        for e in self.data.events:
            if e.name in RECORD_EVENTS:
                by_tx[e.tx_hash].append(e)
            elif e.name == "ClaimSkipped":
                skipped[e.tx_hash].add(e.args["recordId"])
            elif e.name == "ConfirmationRecorded":
                confirmations[e.args["recordId"]].append(e)
            elif e.name == "ViolationReported":
                reporters[e.args["recordId"]] = e.args["reporter"]
        for tx, records in by_tx.items():
            batch = self.data.batches.get(tx)
            booked = self._relayed(batch, records, skipped[tx]) if batch else set()
            for e in records:
                rid = e.args["recordId"]
                if rid in booked:
                    continue
                if rid in confirmations:
                    self._direct(e, confirmations[rid], reporters.get(rid))
                elif self._automated(e):
                    pass
                else:
                    self.stats.unverifiable += 1
                    self.found.add(
                        "quorum.unverifiable",
                        f"record {rid} was booked by a transaction that is neither a relay call "
                        "to the ledger nor a direct confirmation: its evaluators cannot be checked",
                        (e.evidence,),
                        record=rid,
                    )
        return self.stats

    def _rule(self, e: ChainEvent) -> CategoryRule | None:
        return self.history.rule(int(e.args["ruleVersion"]), int(e.args["category"]))

    # ------------------------------------------------------------------ relayed
    def _relayed(
        self, batch: RelayedBatch, records: list[ChainEvent], skipped: set[str]
    ) -> set[str]:
        """Check a relay batch; returns the ids of the records it accounts for. A claim the
        ledger skipped (``ClaimSkipped``: its resident voided it) is accounted for by that event;
        only booked records must have valid, unexpired signatures and meet their quorum."""
        reports = batch.function == "relayReports"
        first = min(records, key=lambda e: e.log_index)
        pos, at, block_time = first.pos, (first.evidence,), first.block_time
        ids: list[bytes] = []
        for c in batch.records:
            rid = self.digests.report(c) if reports else self.digests.claim(c)
            ids.append(rid)
            signer = recover(rid, c.r, c.vs)
            self.stats.signatures += 1
            expected = c.reporter if reports else c.resident
            if signer != expected:
                self.found.add(
                    "record.bad_signature",
                    f"record 0x{rid.hex()} was signed by {signer}, not by {expected}",
                    at,
                    record="0x" + rid.hex(),
                )
            if reports and c.reporter and not self.roles.official(c.reporter, pos):
                self.found.add(
                    "report.reporter_not_official",
                    f"violation 0x{rid.hex()} was reported by {c.reporter}, who held no "
                    "official evaluator role at that block",
                    at,
                    record="0x" + rid.hex(),
                )
        keys = ["0x" + i.hex() for i in ids]
        events = {e.args["recordId"]: e for e in records}
        for key, c in zip(keys, batch.records, strict=True):
            if key in events and c.deadline < block_time:
                self.found.add("record.expired_signature", f"record {key} expired", at)
        rules = [self._rule(events[k]) if k in events else None for k in keys]
        tallies = [_Tally() for _ in ids]
        previous = -1
        for j, en in enumerate(batch.endorsements):
            chosen = selected(ids, en.mask)
            evaluator = recover(
                self.digests.confirmation(chosen, en.kind, en.deadline), en.r, en.vs
            )
            self.stats.signatures += 1
            if evaluator is None or en.mask == 0 or en.mask >> len(ids):
                self.found.add(
                    "quorum.bad_endorsement",
                    f"endorsement {j} of the batch is not a valid signature over its records",
                    at,
                )
                continue
            if int(evaluator, 16) <= previous:
                self.found.add(
                    "quorum.evaluators_not_distinct",
                    f"evaluator {evaluator} appears out of order (or twice) in the batch",
                    at,
                    evaluator=evaluator,
                )
            previous = int(evaluator, 16)
            self._entitled(evaluator, en.kind, pos, at, chosen)
            if en.deadline < block_time:
                self.found.add(
                    "quorum.expired_endorsement", f"{evaluator}'s endorsement expired", at
                )
            for i in range(len(ids)):
                if not (en.mask >> i) & 1:
                    continue
                c = batch.records[i]
                if evaluator in (c.resident, c.reporter):
                    self.found.add(
                        "quorum.self_confirmation",
                        f"{evaluator} confirmed record {keys[i]}, which is "
                        + ("about them" if evaluator == c.resident else "their own report"),
                        at,
                        record=keys[i],
                        evaluator=evaluator,
                    )
                rule = rules[i]
                if rule is not None:
                    tallies[i].add(rule, en.kind)
        for key, rule, tally in zip(keys, rules, tallies, strict=True):
            if key in skipped and key not in events:
                continue
            if key not in events:
                self.found.add(
                    "relay.record_not_booked",
                    f"record {key} is in the relay call but no event booked it",
                    at,
                    record=key,
                )
            elif rule is not None and not tally.met(rule):
                self._not_met(events[key], rule, tally)
        self.stats.relayed += sum(1 for k in keys if k in events)
        return set(keys)

    def _entitled(
        self,
        evaluator: str,
        kind: int,
        pos: Position,
        at: tuple[Evidence, ...],
        records: list[bytes],
    ) -> None:
        if self.roles.can_confirm(evaluator, kind, pos):
            return
        name = KIND_NAMES[kind] if 0 <= kind < len(KIND_NAMES) else str(kind)
        role = KIND_ROLES.get(kind, "RESIDENT")
        change = self.roles.last_change(LEDGER, role, evaluator, pos)
        self.found.add(
            "quorum.evaluator_lacks_role",
            f"{evaluator} confirmed {len(records)} record(s) as {name} without holding that "
            "role at the block" + (" (it was revoked before)" if change else ""),
            at + ((change,) if change else ()),
            evaluator=evaluator,
            kind=name,
            records=["0x" + r.hex() for r in records[:20]],
        )

    def _not_met(self, e: ChainEvent, rule: CategoryRule, tally: _Tally) -> None:
        self.found.add(
            "quorum.not_met",
            f"record {e.args['recordId']} was booked with weight {tally.weight}, "
            f"{tally.count} confirmation(s) and kinds {tally.kinds:#06b}; version "
            f"{e.args['ruleVersion']} needs {rule.threshold}, {rule.min_confirmations} and "
            f"{rule.required_kinds:#06b}",
            (e.evidence,),
            record=e.args["recordId"],
        )

    # ------------------------------------------------------------------ direct
    def _direct(self, e: ChainEvent, confirmations: list[ChainEvent], reporter: str | None) -> None:
        self.stats.direct += 1
        rule = self._rule(e)
        tally, seen = _Tally(), set()
        resident = e.args["resident"]
        for c in confirmations:
            if c.pos > e.pos:
                continue
            evaluator, kind = c.args["evaluator"], int(c.args["kind"])
            at = (c.evidence,)
            self._entitled(evaluator, kind, c.pos, at, [bytes.fromhex(e.args["recordId"][2:])])
            if evaluator in (resident, reporter):
                self.found.add(
                    "quorum.self_confirmation",
                    f"{evaluator} confirmed record {e.args['recordId']} about themselves or "
                    "reported by them",
                    at,
                    record=e.args["recordId"],
                    evaluator=evaluator,
                )
            if evaluator in seen:
                self.found.add(
                    "quorum.evaluators_not_distinct",
                    f"{evaluator} confirmed record {e.args['recordId']} twice",
                    at,
                    evaluator=evaluator,
                )
            seen.add(evaluator)
            if rule is not None:
                tally.add(rule, kind)
        if rule is not None and not tally.met(rule):
            self._not_met(e, rule, tally)

    # ------------------------------------------------------------------ automated
    def _automated(self, e: ChainEvent) -> bool:
        rule = self._rule(e)
        if rule is None or not rule.automated:
            return False
        self.stats.automated += 1
        tx = self.data.transactions.get(e.tx_hash)
        callers = [a for a in (tx.sender, tx.to) if a] if tx else []
        if not any(self.roles.holds(LEDGER, "VERIFIER_ROLE", a, e.pos) for a in callers):
            self.found.add(
                "quorum.automated_without_verifier",
                f"automated record {e.args['recordId']} was booked by a transaction from "
                f"{callers or 'an unknown sender'}, none holding VERIFIER_ROLE",
                (e.evidence,),
                record=e.args["recordId"],
            )
        return True


def check_quorums(
    data: ChainData, history: RuleHistory, roles: RoleTimeline, found: Findings
) -> QuorumStats:
    """Check the quorum of every booked record."""
    return QuorumChecker(data, history, roles, found).run()
