"""Every table module, so that ``metadata`` knows all tables before ``create_schema`` runs."""

from credit.store import (
    appeal_tables,
    auth_tables,
    evidence_tables,
    index_tables,
    notice_tables,
    relay_tables,
    reward_tables,
)

TABLE_MODULES = (
    appeal_tables,
    auth_tables,
    evidence_tables,
    index_tables,
    notice_tables,
    relay_tables,
    reward_tables,
)
