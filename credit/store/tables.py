"""Imports every table module so that ``metadata`` knows all tables."""
import credit.store.evidence_tables  # noqa: F401
