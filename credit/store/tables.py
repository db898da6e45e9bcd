"""Every table module, so that ``metadata`` knows all tables before ``create_schema`` runs:
importing this module imports them, which registers their tables."""

# ruff: noqa: F401  (imported for their side effect: the tables they register on metadata)
import credit.store.appeal_tables
import credit.store.auth_tables
import credit.store.evidence_tables
import credit.store.index_tables
import credit.store.notice_tables
import credit.store.relay_tables
import credit.store.reward_tables
