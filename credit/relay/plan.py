"""Pure batch planning: which claims go into the next ``relayClaims`` and with which endorsements.

The ledger checks, for one batch: every claim meets its quorum from the endorsements *in that
batch*; each endorsement's signature covers exactly the ids its mask selects, in batch order;
signers are strictly increasing (so one endorsement per evaluator); a resident's claims use
consecutive nonces in batch order; at most 256 claims and 64 endorsements. ``plan_batch`` finds
a batch that satisfies all of this, deterministically, without touching the chain.

Decisions:
- Batch order is ascending record id. Evaluators sign their record lists sorted ascending by id,
  so any id-ordered batch containing all of an endorsement's records reproduces its digest.
- An endorsement is usable only if *all* its records are in the batch. Starting from every
  candidate, keep usable endorsements, drop claims without quorum, repeat until nothing changes.
- An evaluator with several usable endorsements contributes one per batch: the one serving the
  oldest claim (lowest ``seq``), then the oldest endorsement; the rest wait for later batches.
- ``max_size`` is respected by whole components (claims linked by a shared endorsement or by
  one resident's nonce chain), oldest first; a component larger than ``max_size`` waits.
- Those choices can leave nothing to plan while a claim could go: an evaluator's one endorsement
  spent on a resident's later nonce, or a component too large. Then each resident's next claim
  is tried alone, oldest first, with the endorsements naming it alone, so planning never stalls
  while a claim could be relayed by itself (checked by a property test).
- Violation reports (``reporter`` set) go to ``relayReports`` and claims to ``relayClaims``, so a
  batch holds one or the other: the kind of the oldest record first, the other kind if that
  plans nothing (so neither kind stalls the other). A report holds no nonce of its resident (its
  nonce only tells identical reports apart): it chains to nothing and links to nothing but its
  endorsements. Nobody's endorsement counts for a record about themselves, nor for a report
  they made (the ledger reverts the batch on either).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

MAX_BATCH = 256  # CreditLedger._MAX_BATCH
MAX_ENDORSEMENTS = 64  # CreditLedger._MAX_ENDORSEMENTS


@dataclass(frozen=True)
class Quorum:
    """What a category needs: summed weight, distinct confirmations and required kinds."""

    threshold: int
    min_confirmations: int
    weights: tuple[int, int, int, int]  # by EvaluatorKind: SUPERIOR, PEER, PUBLIC, EXPERT
    required_kinds: int = 0  # bit i = EvaluatorKind(i) must be present

    def met(self, tally: Tally) -> bool:
        """Whether ``tally`` reaches this quorum (as ``CreditLedger._quorumMet``)."""
        return (
            tally.weight >= self.threshold
            and tally.count >= self.min_confirmations
            and tally.kinds & self.required_kinds == self.required_kinds
        )


@dataclass(frozen=True)
class Tally:
    """Confirmations of one record: weight, count and kinds present (bit per kind)."""

    weight: int = 0
    count: int = 0
    kinds: int = 0

    def add(self, kind: int, weight: int) -> Tally:
        """This tally plus one confirmation; a kind of weight 0 adds nothing, as on chain."""
        if weight == 0:
            return self
        return Tally(self.weight + weight, self.count + 1, self.kinds | (1 << kind))


@dataclass(frozen=True)
class PlanClaim:
    """A claim waiting to be relayed (ids and addresses as lower-case hex)."""

    record_id: str
    resident: str
    category: int
    nonce: int
    seq: int = 0  # acceptance order: older claims are planned first
    reporter: str | None = None  # a violation report's official; None for a claim

    def party(self, evaluator: str) -> bool:
        """Whether ``evaluator`` is this record's resident or reporter (may not confirm it)."""
        return evaluator in (self.resident, self.reporter)


@dataclass(frozen=True)
class PlanEndorsement:
    """An evaluator's signed confirmation of ``records`` (sorted ascending) as ``kind``."""

    id: int
    evaluator: str
    kind: int
    records: tuple[str, ...]

    @cached_property
    def record_set(self) -> frozenset[str]:
        """``records`` as a set (an endorsement may name 256 records; tallies ask each one)."""
        return frozenset(self.records)


@dataclass(frozen=True)
class PlannedEndorsement:
    """An endorsement placed in a batch, with the mask of its records' batch positions."""

    endorsement: PlanEndorsement
    mask: int


@dataclass(frozen=True)
class Batch:
    """Claims in batch order and endorsements sorted by evaluator address."""

    claims: tuple[PlanClaim, ...] = ()
    endorsements: tuple[PlannedEndorsement, ...] = ()

    def __len__(self) -> int:
        return len(self.claims)


def tally_of(claim: PlanClaim, endorsements: Iterable[PlanEndorsement], quorum: Quorum) -> Tally:
    """The tally ``claim`` gets from the endorsements that name it (self-confirmations ignored)."""
    tally = Tally()
    for e in endorsements:
        if claim.record_id in e.record_set and not claim.party(e.evaluator):
            tally = tally.add(e.kind, quorum.weights[e.kind])
    return tally


def plan_batch(
    claims: Sequence[PlanClaim],
    endorsements: Sequence[PlanEndorsement],
    rules: Mapping[int, Quorum],
    max_size: int,
    max_endorsements: int = MAX_ENDORSEMENTS,
) -> Batch:
    """The next batch: claims whose quorum is met by endorsements wholly inside it."""
    known = [c for c in claims if c.category in rules]
    oldest = min(known, key=lambda c: (c.seq, c.record_id), default=None)
    first_reports = oldest is not None and oldest.reporter is not None
    for reports in (first_reports, not first_reports):  # one kind per batch, the oldest's first
        mine = [c for c in known if (c.reporter is not None) == reports]
        planner = _Planner.of(mine, rules, min(max_size, MAX_BATCH), max_endorsements)
        batch = planner.batch(endorsements)
        if batch.claims:
            return batch
    return Batch()


@dataclass(frozen=True)
class _Planner:
    """What stays fixed while one kind of record (all claims, or all reports) is planned: the
    records by id, the rules, each resident's first nonce and the batch's bounds."""

    by_id: Mapping[str, PlanClaim]
    rules: Mapping[int, Quorum]
    first_nonce: Mapping[str, int]
    max_size: int
    max_endorsements: int

    @classmethod
    def of(
        cls,
        claims: Sequence[PlanClaim],
        rules: Mapping[int, Quorum],
        max_size: int,
        max_endorsements: int,
    ) -> _Planner:
        by_id = {c.record_id: c for c in claims}
        first_nonce: dict[str, int] = {}
        for c in by_id.values():
            if c.reporter is None:
                first_nonce[c.resident] = min(c.nonce, first_nonce.get(c.resident, c.nonce))
        return cls(by_id, rules, first_nonce, max_size, max_endorsements)

    def batch(self, endorsements: Sequence[PlanEndorsement]) -> Batch:
        """:func:`plan_batch` over records of this planner's kind."""
        by_id = self.by_id
        useful = [e for e in endorsements if self._useful(e)]
        candidates, chosen = self._plan(set(by_id), useful)
        if not candidates:  # endorsements chosen for the oldest claims may tie or block the others:
            for lone in self._lone_candidates():  # a resident's next claim on its own
                alone = [e for e in useful if e.records == (lone.record_id,)]
                candidates, chosen = self._plan({lone.record_id}, alone)
                if candidates:
                    break
        ordered = tuple(sorted((by_id[r] for r in candidates), key=lambda c: c.record_id))
        position = {c.record_id: i for i, c in enumerate(ordered)}
        planned = [
            PlannedEndorsement(e, sum(1 << position[r] for r in e.records))
            for e in sorted(chosen, key=lambda e: int(e.evaluator, 16))
        ]
        return Batch(ordered, tuple(planned))

    def _plan(
        self, candidates: set[str], useful: Sequence[PlanEndorsement]
    ) -> tuple[set[str], list[PlanEndorsement]]:
        """Shrink ``candidates`` until their quorums hold and whole components fit the bounds."""
        while True:
            candidates, chosen = self._fixpoint(candidates, useful)
            selected = self._select(candidates, chosen)
            if selected == candidates:
                return candidates, chosen
            candidates = selected

    def _lone_candidates(self) -> list[PlanClaim]:
        """Each resident's next claim, oldest first: what can always go alone if its quorum is
        met by endorsements naming it alone."""
        first_nonce = self.first_nonce
        heads = [
            c
            for c in self.by_id.values()
            if c.reporter is not None or c.nonce == first_nonce[c.resident]
        ]
        return sorted(heads, key=lambda c: (c.seq, c.record_id))

    def _useful(self, e: PlanEndorsement) -> bool:
        """Known records only, no self-confirmation, and it adds weight to at least one record."""
        by_id = self.by_id
        if not e.records or len(set(e.records)) != len(e.records) or not 0 <= e.kind <= 3:
            return False
        if any(r not in by_id or by_id[r].party(e.evaluator) for r in e.records):
            return False
        return any(self.rules[by_id[r].category].weights[e.kind] > 0 for r in e.records)

    def _fixpoint(
        self, candidates: set[str], endorsements: Sequence[PlanEndorsement]
    ) -> tuple[set[str], list[PlanEndorsement]]:
        by_id, rules = self.by_id, self.rules
        while True:
            candidates = self._nonce_chains(candidates)
            chosen = self._choose(candidates, endorsements)
            tallies: dict[str, Tally] = defaultdict(Tally)
            for e in chosen:
                for r in e.records:
                    tallies[r] = tallies[r].add(e.kind, rules[by_id[r].category].weights[e.kind])
            keep = {r for r in candidates if rules[by_id[r].category].met(tallies[r])}
            if keep == candidates:
                return candidates, chosen
            candidates = keep

    def _nonce_chains(self, candidates: set[str]) -> set[str]:
        """Per resident, the claims with consecutive nonces from the first, in increasing id
        order; reports, which hold no nonce, all."""
        by_id = self.by_id
        per_resident: dict[str, list[PlanClaim]] = defaultdict(list)
        keep: set[str] = set()
        for r in candidates:
            if by_id[r].reporter is not None:
                keep.add(r)
            else:
                per_resident[by_id[r].resident].append(by_id[r])
        for resident, mine in per_resident.items():
            expected, last_id = self.first_nonce[resident], ""
            for c in sorted(mine, key=lambda c: c.nonce):
                if c.nonce != expected or c.record_id <= last_id:
                    break
                keep.add(c.record_id)
                expected, last_id = expected + 1, c.record_id
        return keep

    def _choose(
        self, candidates: set[str], endorsements: Sequence[PlanEndorsement]
    ) -> list[PlanEndorsement]:
        """One usable endorsement per evaluator: the one serving the oldest claim, then the
        oldest."""
        by_id = self.by_id
        best: dict[str, tuple[tuple[int, int], PlanEndorsement]] = {}
        for e in endorsements:
            if not all(r in candidates for r in e.records):
                continue
            key = (min(by_id[r].seq for r in e.records), e.id)
            current = best.get(e.evaluator)
            if current is None or key < current[0]:
                best[e.evaluator] = (key, e)
        return [e for _, e in best.values()]

    def _select(self, candidates: set[str], chosen: Sequence[PlanEndorsement]) -> set[str]:
        """Whole components, oldest first, within ``max_size`` claims and ``max_endorsements``."""
        by_id = self.by_id
        parent = {r: r for r in candidates}

        def find(r: str) -> str:
            while parent[r] != r:
                parent[r] = parent[parent[r]]
                r = parent[r]
            return r

        def union(a: str, b: str) -> None:
            parent[find(a)] = find(b)

        for e in chosen:
            for r in e.records[1:]:
                union(e.records[0], r)
        first_of: dict[str, str] = {}
        for r in sorted(candidates):
            if by_id[r].reporter is not None:
                continue  # a report shares no nonce chain with its resident's other records
            first = first_of.setdefault(by_id[r].resident, r)
            union(first, r)
        components: dict[str, list[str]] = defaultdict(list)
        for r in candidates:
            components[find(r)].append(r)
        endorsement_count: dict[str, int] = defaultdict(int)
        for e in chosen:
            endorsement_count[find(e.records[0])] += 1
        order = sorted(components, key=lambda k: min((by_id[r].seq, r) for r in components[k]))
        selected: set[str] = set()
        size = count = 0
        for root in order:
            members = components[root]
            fits = size + len(members) <= self.max_size
            if fits and count + endorsement_count[root] <= self.max_endorsements:
                selected.update(members)
                size, count = size + len(members), count + endorsement_count[root]
        return selected
