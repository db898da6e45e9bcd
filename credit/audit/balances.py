"""Recomputing every resident's credit from the events, under the rules stamped on each record.

A replay of ``CreditLedger._book`` and ``creditOf`` over the events in chain order: each record is
checked against the version in force at its block (points = units x points per unit, units within
the category's limit, the right polarity, a registered resident, or for a violation one who
registered at some time: leaving is no escape from a report), expiry is applied as the
contract applies it (a ``CreditExpired`` exactly when the balance lapsed, for exactly the
balance), per-category caps per resident and epoch are re-added under the stamped version's cap,
violations deduct at most the balance. At the end every resident's recomputed credit at the
audited block is compared with ``creditOf`` read at that block.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from credit.audit.model import ChainData, ChainEvent, Findings, utc
from credit.audit.rules import RuleHistory
from credit.facts import Evidence
from credit.fold import Schedule


@dataclass
class ResidentBook:
    """One resident's recomputed state."""

    registered: bool = False
    joined: bool = False  # registered at some time (a violation may name a former resident)
    balance: int = 0
    last_active: int = 0
    earnings: dict[int, int] = field(default_factory=dict)  # epoch -> points earned
    # epoch -> points its violations deducted when recorded (they never reduce its reward)
    deducted: dict[int, int] = field(default_factory=dict)
    usage: dict[int, tuple[int, int]] = field(default_factory=dict)  # category -> (epoch, used)
    last_at: Evidence | None = None  # the last event that moved the balance


@dataclass(frozen=True)
class ViolationBook:
    resident: str
    deducted: int
    appeal_deadline: int
    at: Evidence


@dataclass
class Books:
    """The recomputed ledger."""

    residents: dict[str, ResidentBook] = field(default_factory=dict)
    violations: dict[str, ViolationBook] = field(default_factory=dict)
    records: list[ChainEvent] = field(default_factory=list)  # RecordCredited + ViolationRecorded
    per_category_epoch: Counter[tuple[int, int]] = field(default_factory=Counter)
    credits: dict[str, tuple[int, int]] = field(default_factory=dict)  # recomputed, on chain


def _lapsed(book: ResidentBook, expiry: int, epoch: int) -> bool:
    return expiry != 0 and book.balance != 0 and epoch > book.last_active + expiry


class _Replay:
    def __init__(self, history: RuleHistory, schedule: Schedule, found: Findings) -> None:
        self.history = history
        self.schedule = schedule
        self.found = found
        self.books = Books()
        self.seen: set[str] = set()

    def book(self, address: str) -> ResidentBook:
        return self.books.residents.setdefault(address, ResidentBook())

    def run(self, events: list[ChainEvent]) -> Books:
        for e in events:
            handler = getattr(self, "on_" + e.name, None)
            if handler is not None:
                handler(e)
        return self.books

    def on_ResidentRegistered(self, e: ChainEvent) -> None:
        book = self.book(e.args["resident"])
        book.registered = book.joined = True

    def on_ResidentDeregistered(self, e: ChainEvent) -> None:
        self.book(e.args["resident"]).registered = False

    def _record(self, e: ChainEvent, negative: bool) -> tuple[ResidentBook, int, int]:
        """Checks common to credits and violations; returns (book, epoch, expected points)."""
        a, ev = e.args, (e.evidence,)
        rid, category, units, stamped = a["recordId"], a["category"], a["units"], a["ruleVersion"]
        self.books.records.append(e)
        if rid in self.seen:
            self.found.add("record.duplicate", f"record {rid} was booked twice", ev, record=rid)
        self.seen.add(rid)
        epoch = self.schedule.epoch_at(e.block_time)
        self.books.per_category_epoch[(category, epoch)] += 1
        in_force = self.history.in_force(e.block_time)
        if in_force is None or in_force.number != stamped:
            expected = in_force.number if in_force else None
            self.found.add(
                "record.version_not_in_force",
                f"record {rid} is stamped with version {stamped} but version {expected} was in "
                "force at its block",
                ev,
                record=rid,
                stamped=stamped,
                in_force=expected,
            )
        book = self.book(a["resident"])
        if not (book.joined if negative else book.registered):
            self.found.add(
                "record.resident_not_registered",
                f"record {rid} was booked for {a['resident']}, "
                + ("never a registered resident" if negative else "not a registered resident"),
                ev,
                record=rid,
            )
        rule = self.history.rule(stamped, category)
        points = int(a["points"])
        if rule is None or rule.negative != negative:
            self.found.add(
                "record.unknown_category",
                f"record {rid}: category {category} is not a "
                f"{'violation' if negative else 'participation'} category of version {stamped}",
                ev,
                record=rid,
            )
        else:
            points = units * rule.points_per_unit
            if not 1 <= units <= rule.max_units:
                self.found.add(
                    "record.units_out_of_range",
                    f"record {rid} has {units} units; version {stamped} allows 1 to "
                    f"{rule.max_units}",
                    ev,
                    record=rid,
                )
            if int(a["points"]) != points:
                self.found.add(
                    "record.points_mismatch",
                    f"record {rid} booked {a['points']} points; {units} x {rule.points_per_unit} "
                    f"= {points} under version {stamped}",
                    ev,
                    record=rid,
                    booked=int(a["points"]),
                    expected=points,
                )
        version = self.history.versions.get(stamped)
        expiry = version.terms.expiry_epochs if version and version.terms else 0
        if _lapsed(book, expiry, epoch):
            self.found.add(
                "expiry.not_materialised",
                f"{a['resident']}'s balance of {book.balance} had lapsed but no CreditExpired "
                f"preceded record {rid}",
                ev,
                resident=a["resident"],
            )
            book.balance = 0
        book.last_at = e.evidence
        return book, epoch, points

    def on_RecordCredited(self, e: ChainEvent) -> None:
        book, epoch, points = self._record(e, negative=False)
        a = e.args
        rule = self.history.rule(a["ruleVersion"], a["category"])
        if rule is not None and rule.cap_per_epoch:
            used_epoch, used = book.usage.get(a["category"], (epoch, 0))
            used = (used if used_epoch == epoch else 0) + points
            if used > rule.cap_per_epoch:
                self.found.add(
                    "cap.exceeded",
                    f"{a['resident']} reached {used} points in category {a['category']} in "
                    f"epoch {epoch}; the cap of version {a['ruleVersion']} is {rule.cap_per_epoch}",
                    (e.evidence,),
                    resident=a["resident"],
                    category=a["category"],
                    epoch=epoch,
                    used=used,
                    cap=rule.cap_per_epoch,
                )
            book.usage[a["category"]] = (epoch, used)
        book.balance += points
        book.last_active = epoch
        book.earnings[epoch] = book.earnings.get(epoch, 0) + points

    def on_ViolationRecorded(self, e: ChainEvent) -> None:
        book, epoch, points = self._record(e, negative=True)
        a = e.args
        deducted = min(points, book.balance)
        if int(a["deducted"]) != deducted:
            self.found.add(
                "violation.deducted_mismatch",
                f"violation {a['recordId']} deducted {a['deducted']}; min({points} points, "
                f"balance {book.balance}) = {deducted}",
                (e.evidence,),
                record=a["recordId"],
            )
        version = self.history.versions.get(a["ruleVersion"])
        window = version.terms.appeal_window if version and version.terms else None
        if window is not None and int(a["appealDeadline"]) != e.block_time + window:
            self.found.add(
                "violation.appeal_deadline_mismatch",
                f"violation {a['recordId']} may be appealed until {utc(a['appealDeadline'])}; "
                f"the window of version {a['ruleVersion']} gives {utc(e.block_time + window)}",
                (e.evidence,),
                record=a["recordId"],
            )
        book.balance -= deducted
        book.deducted[epoch] = book.deducted.get(epoch, 0) + deducted
        self.books.violations[a["recordId"]] = ViolationBook(
            a["resident"], deducted, int(a["appealDeadline"]), e.evidence
        )

    def on_CreditExpired(self, e: ChainEvent) -> None:
        a = e.args
        book = self.book(a["resident"])
        epoch = self.schedule.epoch_at(e.block_time)
        expiry = self.history.expiry_at(e.block_time)
        if not _lapsed(book, expiry, epoch):
            self.found.add(
                "expiry.unexpected",
                f"{a['resident']}'s credit was expired although it had not lapsed "
                f"(last active epoch {book.last_active}, expiry {expiry}, epoch {epoch})",
                (e.evidence,),
                resident=a["resident"],
            )
        elif (int(a["amount"]), int(a["lastActiveEpoch"])) != (book.balance, book.last_active):
            self.found.add(
                "expiry.amount_mismatch",
                f"CreditExpired removed {a['amount']} (last active {a['lastActiveEpoch']}); the "
                f"balance was {book.balance} (last active {book.last_active})",
                (e.evidence,),
                resident=a["resident"],
            )
        book.balance = 0
        book.last_at = e.evidence

    def on_AppealResolved(self, e: ChainEvent) -> None:
        if not e.args["overturned"]:
            return
        v = self.books.violations.get(e.args["recordId"])
        if v is None:
            return  # named by the appeal checks
        book = self.book(v.resident)
        book.balance += v.deducted
        book.last_at = e.evidence


def recompute(data: ChainData, history: RuleHistory, found: Findings) -> Books:
    """Replay the books and compare every resident's credit with ``creditOf`` at the block."""
    d = data.deployment
    schedule = Schedule(d.epoch_length, d.genesis)
    books = _Replay(history, schedule, found).run(data.events)
    expiry = history.expiry_at(data.block_time)
    epoch = schedule.epoch_at(data.block_time)
    for address in sorted(set(books.residents) | set(data.credit_of)):
        book = books.residents.get(address, ResidentBook())
        mine = 0 if _lapsed(book, expiry, epoch) else book.balance
        onchain = data.credit_of.get(address)
        books.credits[address] = (mine, -1 if onchain is None else onchain)
        if onchain is not None and onchain != mine:
            found.add(
                "credit.mismatch",
                f"creditOf({address}) is {onchain} at block {data.block}; the events give {mine}",
                (book.last_at,) if book.last_at else (),
                resident=address,
                onchain=onchain,
                recomputed=mine,
            )
    return books
