"""A synthetic ledger history with realistic shapes, as the indexer's stored events.

Residents register, then over ``epochs`` epochs earn credit in the three participation categories
(units and points as the default rules give them), some get violations (deducting at most their
balance), some appeal and a part of those appeals are overturned. Deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from credit.fold import RuleVersion, StoredEvent

EPOCH = 7 * 86400
GENESIS = 2_000_000_000
POINTS = {1: (10, 8), 2: (15, 4), 3: (5, 3)}  # category -> (points per unit, max units)
LITTERING = (100, 20, 3)  # category, points per unit, max units


@dataclass(frozen=True)
class History:
    events: list[StoredEvent]
    residents: list[str]
    versions: tuple[RuleVersion, ...]
    last_block: int
    last_time: int


def _hex(rng: random.Random, n: int) -> str:
    return "0x" + rng.randbytes(n).hex()


def synthetic_history(
    residents: int, records: int, *, epochs: int = 10, violation_share: float = 0.06, seed: int = 1
) -> History:
    """``residents`` registrations and ``records`` credited or violation records over ``epochs``."""
    rng = random.Random(seed)
    events: list[StoredEvent] = []
    block = 1

    def emit(name: str, args: dict[str, object], time: int) -> None:
        nonlocal block
        events.append(StoredEvent(name, dict(args), block, 0, _hex(rng, 32), time))
        block += 1

    content = _hex(rng, 32)
    emit(
        "RuleSetPublished",
        {"ruleVersion": 1, "contentHash": content, "effectiveAt": GENESIS, "uri": "ipfs://rules"},
        GENESIS,
    )
    people = [_hex(rng, 20) for _ in range(residents)]
    for who in people:
        emit("ResidentRegistered", {"resident": who}, GENESIS + 60)
    balance = dict.fromkeys(people, 0)
    span = epochs * EPOCH - 3600
    times = sorted(GENESIS + 3600 + rng.randrange(span) for _ in range(records))
    appealed: list[tuple[str, str, int]] = []
    for t in times:
        who = rng.choice(people)
        rid = _hex(rng, 32)
        if rng.random() < violation_share:
            category, per_unit, max_units = LITTERING
            units = rng.randint(1, max_units)
            deducted = min(units * per_unit, balance[who])
            balance[who] -= deducted
            emit(
                "ViolationRecorded",
                {
                    "recordId": rid,
                    "resident": who,
                    "category": category,
                    "units": units,
                    "points": units * per_unit,
                    "deducted": deducted,
                    "ruleVersion": 1,
                    "appealDeadline": t + 14 * 86400,
                },
                t,
            )
            if rng.random() < 0.3:
                emit(
                    "AppealFiled", {"recordId": rid, "resident": who, "statement": _hex(rng, 32)}, t
                )
                appealed.append((rid, who, deducted))
            continue
        category = rng.choice((1, 1, 1, 2, 3))
        per_unit, max_units = POINTS[category]
        units = rng.randint(1, max_units)
        balance[who] += units * per_unit
        emit(
            "RecordCredited",
            {
                "recordId": rid,
                "resident": who,
                "category": category,
                "units": units,
                "points": units * per_unit,
                "ruleVersion": 1,
            },
            t,
        )
        if appealed and rng.random() < 0.02:  # an arbiter decides an old appeal
            old, resident, deducted = appealed.pop(0)
            overturned = rng.random() < 0.4
            balance[resident] += deducted if overturned else 0
            emit(
                "AppealResolved",
                {
                    "recordId": old,
                    "arbiter": _hex(rng, 20),
                    "overturned": overturned,
                    "restored": deducted if overturned else 0,
                    "reason": _hex(rng, 32),
                },
                t,
            )
    versions = (RuleVersion(1, content, GENESIS, 26),)
    return History(events, people, versions, block - 1, events[-1].block_time)
