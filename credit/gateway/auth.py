"""Sign-In with Ethereum (EIP-4361, strict) and the gateway's session tokens.

Decisions:

- Nonces are issued by the gateway, stored with a TTL (``siwe_nonce_ttl_seconds``) and consumed by
  the one sign-in that succeeds with them (a conditional UPDATE, so two concurrent sign-ins with
  the same message cannot both win). A failed sign-in does not consume the nonce.
- Domain, URI and chain id must equal the settings (chain id: the deployment's); a message carrying
  a scheme must carry the URI's scheme. The message text must be exactly the canonical EIP-4361
  rendering of its fields (what is verified is what was signed) with an EIP-55 address.
- Expired or not-yet-valid messages are refused, and so is a message issued more than
  ``MAX_CLOCK_SKEW_SECONDS`` in the future.
- Only externally owned accounts sign in (no EIP-1271 contract-wallet lookups: no chain call).
- The session token is 32 random bytes (URL-safe base64); only its SHA-256 is stored. A session
  lasts ``session_ttl_seconds`` but never beyond the signed message's Expiration Time.
- A found session is remembered in memory for ``SESSION_CACHE_SECONDS`` (never past its expiry),
  so a busy reader costs no database read per request. A logout through this process forgets it
  at once; through another gateway process sharing the database, within that many seconds.
- On PostgreSQL, where N API processes share the database, every sign-in and sign-out is also
  announced on the ``credit_sessions`` channel (:mod:`credit.store.feed`): each process keeps a copy
  of every live session, loaded when its feed starts listening and kept by the announcements, so
  no signed-in request reads the database, and a logout through any process is forgotten by all
  at its commit. While a process's feed is not listening, its copy is dropped and it falls back
  to the reads above.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import siwe
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from credit.chain.roles import checksum
from credit.errors import AuthError
from credit.settings import Settings
from credit.store.auth_tables import auth_nonces, auth_sessions
from credit.store.db import reader
from credit.store.feed import ChangeFeed, announce

STATEMENT = "Sign in to the Consensus Credit gateway."
MAX_CLOCK_SKEW_SECONDS = 30.0
# The ABNF parser is super-linear (a 4 KB line takes seconds): bound the text before parsing.
MAX_MESSAGE_CHARS = 1536
MAX_LINE_CHARS = 200
_HEADER_SUFFIX = " wants you to sign in with your Ethereum account:"
PURGE_EVERY_SECONDS = 60.0
SESSION_CACHE_SECONDS = 5.0
_SESSION_CACHE_MAX = 100_000  # sessions remembered from reads (bounded against token spraying)
SESSION_COPY_MAX = 2_000_000  # live sessions a process copies from its feed (~200 bytes each)
SESSIONS_CHANNEL = "credit_sessions"
_LIVE_SESSIONS = select(
    auth_sessions.c.token_hash, auth_sessions.c.address, auth_sessions.c.expires_at
).where(auth_sessions.c.expires_at > bindparam("now"))
# the session lookup of every signed-in request, built once
_LIVE_SESSION = select(auth_sessions.c.address, auth_sessions.c.expires_at).where(
    auth_sessions.c.token_hash == bindparam("key"), auth_sessions.c.expires_at > bindparam("now")
)


@dataclass(frozen=True)
class IssuedNonce:
    """A nonce the gateway will accept once, until ``expires_at`` (Unix seconds)."""

    nonce: str
    issued_at: float
    expires_at: float


def to_datetime(ts: float) -> datetime:
    """Unix seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_sessions(conn: Connection, sessions: list[tuple[str, str, float, float]]) -> None:
    """Store sessions ``(token hash, address, created at, expires at)`` in ``conn``'s
    transaction and announce them to every gateway process (at commit)."""
    conn.execute(
        insert(auth_sessions),
        [
            {"token_hash": k, "address": a, "created_at": created, "expires_at": expires}
            for k, a, created, expires in sessions
        ],
    )
    announce(conn, SESSIONS_CHANNEL, *(f"+{k} {a} {expires!r}" for k, a, _, expires in sessions))


class SessionStore:
    """Nonces and sessions in the gateway database; ``clock`` (Unix seconds) is injectable."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        feed: ChangeFeed | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.feed = feed
        self._purge_lock = threading.Lock()
        self._last_purge = float("-inf")
        # token hash -> (remembered at, address, session expiry); from reads, for a few seconds
        self._recent: dict[str, tuple[float, str, float]] = {}
        # token hash -> (address, session expiry): every live session, while the feed listens
        self._copy: dict[str, tuple[str, float]] = {}
        if feed is not None:
            feed.follow(SESSIONS_CHANNEL, self)

    # -- nonces --------------------------------------------------------------------------------
    def issue_nonce(self) -> IssuedNonce:
        """A fresh single-use nonce, stored with its expiry."""
        now = self.clock()
        self._purge(now)
        issued = IssuedNonce(secrets.token_hex(16), now, now + self.settings.siwe_nonce_ttl_seconds)
        with self.engine.begin() as conn:
            conn.execute(
                insert(auth_nonces).values(
                    nonce=issued.nonce, issued_at=issued.issued_at, expires_at=issued.expires_at
                )
            )
        return issued

    # -- sign-in -------------------------------------------------------------------------------
    def login(
        self,
        message: str,
        signature: str,
        chain_id: int,
        admit: Callable[[str], None] | None = None,
    ) -> tuple[str, str, datetime]:
        """Verify a signed SIWE message, consume its nonce, open a session.

        Returns (token, checksummed address, session expiry); raises :class:`AuthError`
        with what to do next otherwise. ``admit`` sees the verified signer before the nonce is
        used (a per-address rate limit raises there, so only the key's holder spends its budget).
        """
        now = self.clock()
        _precheck(message, self.settings)
        parsed = _parse(message)
        self._verify(parsed, signature, chain_id, now)
        address = checksum(parsed.address)
        if admit is not None:
            admit(address)
        expires = now + self.settings.session_ttl_seconds
        if parsed.expiration_time is not None:
            expires = min(expires, parsed.expiration_time._datetime.timestamp())
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            consumed = conn.execute(
                update(auth_nonces)
                .where(
                    auth_nonces.c.nonce == parsed.nonce,
                    auth_nonces.c.used_at.is_(None),
                    auth_nonces.c.expires_at > now,
                )
                .values(used_at=now, used_by=address)
            )
            if consumed.rowcount != 1:
                row = conn.execute(
                    select(auth_nonces.c.used_at).where(auth_nonces.c.nonce == parsed.nonce)
                ).first()
                raise AuthError(_nonce_problem(row))
            open_sessions(conn, [(_token_hash(token), address, now, expires)])
        return token, address, to_datetime(expires)

    def _verify(self, msg: siwe.SiweMessage, signature: str, chain_id: int, now: float) -> None:
        s = self.settings
        if msg.warnings:
            raise AuthError(
                f"the address {msg.address} in the message is not EIP-55 checksummed: "
                "sign a message whose address has the checksum capitalisation"
            )
        issued_at = msg.issued_at._datetime.timestamp()
        if issued_at > now + MAX_CLOCK_SKEW_SECONDS:
            raise AuthError(
                f"the message was issued in the future ({msg.issued_at}, server time "
                f"{to_datetime(now).isoformat()}): correct the device clock and sign again"
            )
        scheme = s.siwe_uri.split("://", 1)[0] if msg.scheme is not None else None
        try:
            msg.verify(
                signature,
                scheme=scheme,
                domain=s.siwe_domain,
                uri=s.siwe_uri,
                chain_id=chain_id,
                nonce=msg.nonce,  # the real nonce check is the database's (issued, unused, fresh)
                timestamp=to_datetime(now),
                strict=True,
            )
        except siwe.VerificationError as exc:
            raise AuthError(_verification_problem(exc, msg, s, chain_id)) from exc

    # -- sessions ------------------------------------------------------------------------------
    def remembered(self, token: str) -> str | None:
        """The address of ``token``'s session if this process remembers it (no database read),
        else None: then :meth:`stored` decides."""
        if not token or len(token) > 256:
            return None
        return self._remembered(_token_hash(token), self.clock())

    def _remembered(self, key: str, now: float) -> str | None:
        if self.feed is not None and self.feed.live:
            copied = self._copy.get(key)
            if copied is not None and copied[1] > now:
                return copied[0]
        hit = self._recent.get(key)
        if hit is not None and now - hit[0] < SESSION_CACHE_SECONDS and hit[2] > now:
            return hit[1]
        return None

    def lookup(self, token: str) -> str | None:
        """The address signed in with ``token``, or None if unknown or expired."""
        return self.remembered(token) or self.stored(token)

    def stored(self, token: str) -> str | None:
        """:meth:`lookup` from the database (remembered for ``SESSION_CACHE_SECONDS``)."""
        if not token or len(token) > 256:
            return None
        key, now = _token_hash(token), self.clock()
        with reader(self.engine).connect() as conn:
            row = conn.execute(_LIVE_SESSION, {"key": key, "now": now}).first()
        if row is None:
            self._recent.pop(key, None)
            return None
        if len(self._recent) >= _SESSION_CACHE_MAX:  # bounded against token spraying
            self._recent.clear()
        self._recent[key] = (now, str(row.address), float(row.expires_at))
        return str(row.address)

    def logout(self, token: str) -> bool:
        """End the session of ``token``; True if there was one."""
        key = _token_hash(token)
        self._recent.pop(key, None)
        self._copy.pop(key, None)
        with self.engine.begin() as conn:
            gone = conn.execute(delete(auth_sessions).where(auth_sessions.c.token_hash == key))
            announce(conn, SESSIONS_CHANNEL, f"-{key}")
        return gone.rowcount > 0

    # -- the copy of every live session, kept by the feed (credit.store.feed.Follower) -----------
    def changed(self, payload: str) -> None:
        """A sign-in (``+hash address expiry``) or sign-out (``-hash``) in some process."""
        if payload.startswith("-"):
            self._copy.pop(payload[1:], None)
            self._recent.pop(payload[1:], None)
        elif payload.startswith("+"):
            if len(self._copy) >= SESSION_COPY_MAX:
                self._forget_expired()
            if len(self._copy) < SESSION_COPY_MAX:
                key, address, expires = payload[1:].split(" ")
                self._copy[key] = (address, float(expires))

    def _forget_expired(self) -> None:
        """Drop expired sessions from the copy (they are refused anyway; this bounds it)."""
        now = self.clock()
        self._copy = {k: v for k, v in self._copy.items() if v[1] > now}

    def lost(self) -> None:
        """The feed stopped listening: sign-outs elsewhere may be missed, so forget the copy."""
        self._copy = {}
        self._recent = {}

    def resync(self) -> None:
        """The feed listens: copy every live session (the newest ones, past the bound)."""
        copy: dict[str, tuple[str, float]] = {}
        with reader(self.engine).connect() as conn:
            rows = conn.execute(
                _LIVE_SESSIONS.order_by(auth_sessions.c.created_at.desc()).limit(SESSION_COPY_MAX),
                {"now": self.clock()},
            )
            for key, address, expires in rows:
                copy[key] = (str(address), float(expires))
        self._copy = copy

    def _purge(self, now: float) -> None:
        """Delete expired nonces and sessions (at most once per ``PURGE_EVERY_SECONDS``)."""
        with self._purge_lock:
            if now - self._last_purge < PURGE_EVERY_SECONDS:
                return
            self._last_purge = now
        with self.engine.begin() as conn:
            conn.execute(delete(auth_nonces).where(auth_nonces.c.expires_at <= now))
            conn.execute(delete(auth_sessions).where(auth_sessions.c.expires_at <= now))


def _precheck(message: str, s: Settings) -> None:
    """Cheap checks before the costly parse: size, line lengths, our domain and URI lines."""
    if len(message) > MAX_MESSAGE_CHARS:
        raise AuthError(
            f"the message is longer than {MAX_MESSAGE_CHARS} characters: sign the short message "
            "built from POST /v1/auth/nonce"
        )
    lines = message.split("\n")
    header = lines[0]
    if not header.endswith(_HEADER_SUFFIX):
        raise AuthError(
            "the message is not an EIP-4361 sign-in message (its first line must end with "
            f"{_HEADER_SUFFIX.strip()!r}): build it from POST /v1/auth/nonce"
        )
    domain = header.removesuffix(_HEADER_SUFFIX)
    scheme = s.siwe_uri.split("://", 1)[0]
    if domain not in (s.siwe_domain, f"{scheme}://{s.siwe_domain}"):
        raise AuthError(_domain_problem(domain[:80], s))
    uri_line = f"URI: {s.siwe_uri}"
    if uri_line not in lines:
        found = next((line[5:] for line in lines if line.startswith("URI: ")), "")
        raise AuthError(_uri_problem(found[:120], s))
    if any(len(line) > MAX_LINE_CHARS for line in lines[1:] if line != uri_line):
        raise AuthError(
            f"a line of the message is longer than {MAX_LINE_CHARS} characters: sign the "
            "message built from POST /v1/auth/nonce"
        )


def _domain_problem(domain: str, s: Settings) -> str:
    return (
        f"the message is for domain {domain!r} but this gateway is {s.siwe_domain!r}: "
        "sign a message for this gateway's domain"
    )


def _uri_problem(uri: str, s: Settings) -> str:
    return f"the message's URI is {uri!r} but this gateway's is {s.siwe_uri!r}: sign again"


def _parse(message: str) -> siwe.SiweMessage:
    """The message's fields; refuses text that is not exactly their canonical rendering."""
    try:
        parsed = siwe.SiweMessage.from_message(message)
    except Exception as exc:  # pydantic, ABNF and value errors: all mean "not a SIWE message"
        raise AuthError(
            "the message is not an EIP-4361 sign-in message: build it from POST /v1/auth/nonce "
            f"and sign it unchanged ({type(exc).__name__})"
        ) from exc
    if parsed.prepare_message() != message:
        raise AuthError(
            "the message is not in canonical EIP-4361 form (extra spaces, line endings or "
            "fields out of order): sign the text exactly as a SIWE library renders it"
        )
    return parsed


def _nonce_problem(row: object | None) -> str:
    if row is None:
        return (
            "this nonce was not issued by this gateway (or expired long ago): request one at "
            "POST /v1/auth/nonce and sign a new message"
        )
    if getattr(row, "used_at", None) is not None:
        return (
            "this sign-in message was already used (each nonce signs in once): request a new "
            "nonce at POST /v1/auth/nonce and sign again"
        )
    return "this nonce has expired: request a new one at POST /v1/auth/nonce and sign again"


def _verification_problem(
    exc: siwe.VerificationError, msg: siwe.SiweMessage, s: Settings, chain_id: int
) -> str:
    if isinstance(exc, siwe.DomainMismatch):
        return _domain_problem(msg.domain, s)
    if isinstance(exc, siwe.UriMismatch):
        return _uri_problem(str(msg.uri), s)
    if isinstance(exc, siwe.ChainIdMismatch):
        return (
            f"the message is for chain id {msg.chain_id} but the ledger is on chain id "
            f"{chain_id}: switch the wallet to that network and sign again"
        )
    if isinstance(exc, siwe.SchemeMismatch):
        return f"the message's scheme {msg.scheme!r} is not this gateway's: sign again"
    if isinstance(exc, siwe.ExpiredMessage):
        return f"the message expired at {msg.expiration_time}: request a new nonce and sign again"
    if isinstance(exc, siwe.NotYetValidMessage):
        return f"the message is not valid before {msg.not_before}: wait, or sign one valid now"
    if isinstance(exc, siwe.InvalidSignature):
        return (
            f"the signature does not match the message and its address {msg.address}: sign the "
            "exact message text with that account's key"
        )
    return f"the sign-in message was refused ({type(exc).__name__}): request a new nonce"
