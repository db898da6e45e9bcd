"""Every audit check as a person reads it: its group, label and plain-words meaning, by code.

Pure data, read through :mod:`credit.audit.checks` (``tests/audit/test_labels.py`` holds every code
the auditor can raise to an entry here).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    """One check as a person reads it."""

    group: str
    label: str
    meaning: str  # what a failure means, in plain words
    expected: str | None = None  # data key: what the rules and the chain's history give
    found: str | None = None  # data key: what was found instead


DEPLOYMENT, RULES, RECORDS, QUORUM = "Deployment", "Rule sets", "Records", "Confirmations"
BALANCES, APPEALS, REWARDS, NOTICES = (
    "Credit balances",
    "Violations and appeals",
    "Rewards and tokens",
    "Notices",
)
PRIVATE = "Private proofs"
GROUPS = (DEPLOYMENT, RULES, RECORDS, QUORUM, BALANCES, APPEALS, REWARDS, NOTICES, PRIVATE)

CHECKS: dict[str, Check] = {
    # deployment
    "code.unexpected": Check(
        DEPLOYMENT,
        "Deployed code is the audited source",
        "The contract running at this address is not the compiled source the audit checked "
        "against, so it may do things the published code forbids.",
        "expected",
        "found",
    ),
    "deployment.notice_period_mismatch": Check(
        DEPLOYMENT,
        "Notice period matches the deployment file",
        "The rule book waits a different time before new rules apply than its deployment file "
        "promises residents.",
    ),
    "deployment.ledger_not_bound": Check(
        DEPLOYMENT,
        "Rule book is bound to this ledger",
        "The rule book never named this ledger as the one it governs: the ledger may follow "
        "no published rules at all.",
    ),
    # rule sets
    "rules.not_staged": Check(
        RULES,
        "Every published version was staged on the ledger",
        "A rule-set version was announced but the ledger never scheduled it, so the ledger and "
        "the rule book disagree on which rules apply.",
    ),
    "rules.version_gap": Check(
        RULES,
        "Rule versions are numbered without gaps",
        "A rule-set version number was skipped or repeated.",
    ),
    "rules.notice_period_skipped": Check(
        RULES,
        "New rules waited out the notice period",
        "A rule set took effect before residents had the promised time to read it.",
        "lawful_start",
        "effective_at",
    ),
    "rules.two_pending": Check(
        RULES,
        "At most one rule change pending at a time",
        "A new rule set was published while another was still waiting to take effect.",
    ),
    "rules.hash_mismatch": Check(
        RULES,
        "Published hash matches the rule book's terms",
        "The announcement and the rule book name different documents for the same version.",
    ),
    "rules.no_categories": Check(
        RULES,
        "Every version defines at least one category",
        "A rule set was published that gives no way to earn or lose credit.",
    ),
    "rules.one_kind_without_limit": Check(
        RULES,
        "No category can be credited by one kind of evaluator alone",
        "One kind of evaluator (for example superiors alone) could credit a category without "
        "any limit, which defeats the point of consensus.",
    ),
    "rules.applied_early": Check(
        RULES,
        "No record used rules before they took effect",
        "Records were booked under a rule set before its notice period ended.",
    ),
    "rules.file_unpublished": Check(
        RULES,
        "Every given rule-set file was published",
        "A rule-set file given to the audit matches no version published on chain.",
    ),
    "rules.file_content_mismatch": Check(
        RULES,
        "On-chain rules are exactly the published file",
        "The chain holds the hash of a rule-set file but applies different categories or terms "
        "than that file says.",
    ),
    # records
    "record.duplicate": Check(
        RECORDS,
        "Each record is booked once",
        "The same record was booked twice, so its points counted twice.",
    ),
    "record.version_not_in_force": Check(
        RECORDS,
        "Records use the rule version in force",
        "A record is stamped with a rule-set version that was not in force when it was booked.",
        "in_force",
        "stamped",
    ),
    "record.resident_not_registered": Check(
        RECORDS,
        "Records are for registered residents",
        "Credit or a violation was booked for an address that was not a registered resident.",
    ),
    "record.unknown_category": Check(
        RECORDS,
        "Records use a category of their rule set",
        "A record names a category its rule set does not have (or of the wrong kind).",
    ),
    "record.units_out_of_range": Check(
        RECORDS,
        "Record units are within the allowed range",
        "A record claims more units (or fewer) than its category allows.",
    ),
    "record.points_mismatch": Check(
        RECORDS,
        "Points follow from units and the rules",
        "A record booked a different number of points than its units times the category's "
        "points per unit.",
        "expected",
        "booked",
    ),
    "record.bad_signature": Check(
        RECORDS,
        "Relayed records carry their author's signature",
        "A relayed claim or report was not signed by the resident (or reporter) it names.",
    ),
    "record.expired_signature": Check(
        RECORDS,
        "Relayed records were booked before their signature expired",
        "A signed claim was booked after the deadline its author set.",
    ),
    "report.reporter_not_official": Check(
        RECORDS,
        "Violations are reported by officials",
        "A violation was reported by someone who held no official evaluator role at the time.",
    ),
    "relay.record_not_booked": Check(
        RECORDS,
        "Every relayed record was booked",
        "A record was sent to the ledger in a relay transaction but no event booked it.",
    ),
    "cap.exceeded": Check(
        RECORDS,
        "Category caps per epoch are respected",
        "A resident was credited more points in one category and epoch than the rules allow.",
        "cap",
        "used",
    ),
    # confirmations
    "quorum.unverifiable": Check(
        QUORUM,
        "Every record's confirmers can be checked",
        "A record was booked by a transaction whose evaluators the audit cannot identify.",
    ),
    "quorum.bad_endorsement": Check(
        QUORUM,
        "Endorsements are valid signatures",
        "An evaluator's endorsement in a relay batch is not a valid signature over its records.",
    ),
    "quorum.evaluators_not_distinct": Check(
        QUORUM,
        "Each evaluator confirms a record once",
        "The same evaluator was counted more than once towards a record's quorum.",
    ),
    "quorum.expired_endorsement": Check(
        QUORUM,
        "Endorsements were used before they expired",
        "An evaluator's endorsement was used after the deadline the evaluator set.",
    ),
    "quorum.self_confirmation": Check(
        QUORUM,
        "Nobody confirms their own record",
        "An evaluator confirmed a record about themselves or a report they made.",
    ),
    "quorum.evaluator_lacks_role": Check(
        QUORUM,
        "Evaluators held their role when confirming",
        "Someone confirmed records as a kind of evaluator (for example a superior) without "
        "holding that role at the time.",
    ),
    "quorum.not_met": Check(
        QUORUM,
        "Every record met its quorum",
        "A record was booked with fewer or weaker confirmations than its category requires.",
    ),
    "quorum.automated_without_verifier": Check(
        QUORUM,
        "Automated records come from a verifier",
        "A record of an automated category was booked by someone without the verifier role.",
    ),
    # balances
    "credit.mismatch": Check(
        BALANCES,
        "Credit on chain equals the recomputed credit",
        "A resident's credit as the ledger reports it is not what their records add up to.",
        "recomputed",
        "onchain",
    ),
    "expiry.not_materialised": Check(
        BALANCES,
        "Lapsed credit was expired before new records",
        "A resident's old credit had lapsed but was carried into a new record instead of "
        "being expired first.",
    ),
    "expiry.unexpected": Check(
        BALANCES,
        "Credit is expired only once it has lapsed",
        "A resident's credit was removed although it had not lapsed under the rules.",
    ),
    "expiry.amount_mismatch": Check(
        BALANCES,
        "Expiry removes exactly the lapsed balance",
        "An expiry removed a different amount of credit than the resident held.",
    ),
    # violations and appeals
    "violation.deducted_mismatch": Check(
        APPEALS,
        "Violations deduct what the rules say",
        "A violation took a different amount of credit than its points (capped at the "
        "resident's balance).",
    ),
    "violation.appeal_deadline_mismatch": Check(
        APPEALS,
        "Appeal deadlines follow the rules",
        "A violation's appeal deadline is not its booking time plus the rules' appeal window.",
    ),
    "appeal.unknown_violation": Check(
        APPEALS,
        "Appeals are against recorded violations",
        "An appeal names a record that is not a recorded violation.",
    ),
    "appeal.filed_by_other": Check(
        APPEALS,
        "Appeals are filed by the resident concerned",
        "Someone other than the resident the violation is about appealed it.",
    ),
    "appeal.filed_late": Check(
        APPEALS,
        "Appeals are filed before their deadline",
        "An appeal was accepted after its deadline had passed.",
    ),
    "appeal.filed_twice": Check(
        APPEALS,
        "Each violation is appealed once",
        "The same violation was appealed twice.",
    ),
    "appeal.resolved_without_filing": Check(
        APPEALS,
        "Decisions answer a filed appeal",
        "An appeal decision was recorded for a violation nobody appealed.",
    ),
    "appeal.arbiter_lacks_role": Check(
        APPEALS,
        "Appeals are decided by arbiters",
        "An appeal was decided by someone without the arbiter role.",
    ),
    "appeal.decided_by_appellant": Check(
        APPEALS,
        "Nobody decides their own appeal",
        "A resident decided the appeal against their own violation.",
    ),
    "appeal.resolved_twice": Check(
        APPEALS,
        "Each appeal is decided once",
        "The same appeal was decided twice.",
    ),
    "appeal.restored_mismatch": Check(
        APPEALS,
        "Overturned violations restore what they took",
        "An appeal decision gave back a different amount of credit than the violation took.",
    ),
    # rewards and tokens
    "reward.terms_mismatch": Check(
        REWARDS,
        "Each epoch is paid under the terms in force",
        "An epoch's reward rate or cap is not the one of the rule set in force at its end.",
    ),
    "reward.before_epoch_end": Check(
        REWARDS,
        "Rewards are paid after their epoch ends",
        "A resident was paid for an epoch that had not ended yet.",
    ),
    "reward.paid_twice": Check(
        REWARDS,
        "Each resident is paid once per epoch",
        "A resident was paid twice for the same epoch.",
    ),
    "reward.net_of_violations": Check(
        REWARDS,
        "Rewards pay the points earned",
        "A reward was cut by the resident's violations; the rules pay the points earned "
        "(violations lower credit, not a period's reward).",
        "earned",
        "paid_points",
    ),
    "reward.points_mismatch": Check(
        REWARDS,
        "Rewards count the points the records give",
        "A resident was paid for a different number of points than their records earned.",
        "earned",
        "paid_points",
    ),
    "reward.amount_mismatch": Check(
        REWARDS,
        "Reward amounts are points times the rate",
        "A resident received a different amount than their points times the epoch's rate.",
    ),
    "reward.terms_missing": Check(
        REWARDS,
        "Rewards are paid only under fixed terms",
        "A reward was paid for an epoch whose rate and cap were never fixed.",
    ),
    "reward.cap_exceeded": Check(
        REWARDS,
        "Rewards stay within the epoch's cap",
        "More reward tokens were paid for an epoch than its cap allows.",
        "cap",
        "minted",
    ),
    "mint.outside_rules": Check(
        REWARDS,
        "Every token minted is a reward",
        "Reward tokens were created that no reward payment accounts for.",
    ),
    "mint.missing_transfer": Check(
        REWARDS,
        "Every reward payment minted its tokens",
        "A reward was announced but the tokens were not minted to the resident.",
    ),
    "supply.mismatch": Check(
        REWARDS,
        "Token supply equals tokens minted less burned",
        "The token's total supply is not what its mints and burns add up to.",
        "recomputed",
        "supply",
    ),
    # notices
    "notices.unverifiable": Check(
        NOTICES,
        "Notices can be recomputed",
        "The notices export could not be checked, for example because the rule-set file in "
        "force was not given.",
    ),
    "notices.duplicate": Check(
        NOTICES,
        "Each notice appears once in the export",
        "The export lists the same notice twice.",
    ),
    "notices.missing": Check(
        NOTICES,
        "No notice is missing from the export",
        "The rules and the chain give a notice (a reminder or warning) that residents were "
        "never shown.",
    ),
    "notices.extra": Check(
        NOTICES,
        "Every exported notice follows from the rules",
        "The export shows residents a notice that the rules and the chain do not give.",
    ),
    "notices.altered": Check(
        NOTICES,
        "Exported notices are unaltered",
        "A notice in the export differs from the one the rules give.",
    ),
    # private proofs
    "poseidon.root_mismatch": Check(
        PRIVATE,
        "Finalised Poseidon credit roots match the ledger",
        "Residents finalised a Poseidon credit root that the ledger's events do not give: "
        "private-proof gates accept proofs against it, so someone may prove credit they do "
        "not hold.",
        "expected",
        "found",
    ),
}
