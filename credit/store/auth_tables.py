"""Tables of Sign-In with Ethereum: server-issued nonces and session tokens.

Times are Unix seconds as floats (portable: REAL on SQLite, double precision on PostgreSQL).
Session tokens are never stored, only their SHA-256, so a leaked database opens no session.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, String, Table

from credit.store.db import metadata

# A nonce is issued by POST /v1/auth/nonce, valid until ``expires_at`` and consumed (``used_at``
# set) by the one successful sign-in that carries it; a second sign-in with it is a replay.
auth_nonces = Table(
    "auth_nonces",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("issued_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
    Column("used_by", String(42), nullable=True),
)
Index("ix_auth_nonces_expires_at", auth_nonces.c.expires_at)

# One row per signed-in session; ``token_hash`` is the hex SHA-256 of the bearer token.
auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("address", String(42), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)
Index("ix_auth_sessions_expires_at", auth_sessions.c.expires_at)
Index("ix_auth_sessions_address", auth_sessions.c.address)
