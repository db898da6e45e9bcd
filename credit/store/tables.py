"""Imports every table module so that ``metadata`` knows all tables."""
import credit.store.auth_tables
import credit.store.evidence_tables
import credit.store.index_tables
import credit.store.notice_tables
import credit.store.relay_tables  # noqa: F401
