"""FastAPI dependencies (``Annotated`` aliases) shared by the routers.

Who the caller is comes from a session token (``Authorization: Bearer``); what the caller may do
comes from the caller's on-chain roles (:mod:`credit.chain.roles`), read through a per-app cache.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from credit.chain.roles import ALL_ROLES, RoleCache, checksum
from credit.errors import AuthError
from credit.gateway.auth import SessionStore
from credit.gateway.errors import Forbidden
from credit.gateway.metrics import Metrics
from credit.gateway.ratelimit import SlidingWindowLimiter
from credit.gateway.services import Services

T = TypeVar("T")
_LAZY_LOCK = threading.Lock()
_bearer = HTTPBearer(auto_error=False, description="the session token from POST /v1/auth/login")


def get_services(request: Request) -> Services:
    """The app's :class:`Services`."""
    services: Services = request.app.state.services
    return services


async def _services_dep(request: Request) -> Services:
    # Dependencies that never block are ``async``: FastAPI runs a plain ``def`` dependency in the
    # thread pool, and each such hop costs more than the work itself on a hot read path.
    return get_services(request)


ServicesDep = Annotated[Services, Depends(_services_dep)]


def app_singleton(request: Request, name: str, factory: Callable[[], Any]) -> Any:
    """``request.app.state.<name>``, built by ``factory`` on first use (tests may preset it)."""
    state = request.app.state
    found = getattr(state, name, None)
    if found is None:
        with _LAZY_LOCK:
            found = getattr(state, name, None)
            if found is None:
                found = factory()
                setattr(state, name, found)
    return found


def client_wait(request: Request, name: str, per_minute: int, cost: int = 1) -> float | None:
    """Count ``cost`` hits of the calling client on the per-minute limiter
    ``request.app.state.<name>`` (made on first use; tests may preset it): the seconds it must
    wait when that is over the limit, else None. The client is the connection's peer address;
    behind a proxy, uvicorn's ``--proxy-headers`` with trusted ``--forwarded-allow-ips`` makes it
    the real one."""
    limiter: SlidingWindowLimiter = app_singleton(
        request, name, lambda: SlidingWindowLimiter(per_minute, 60.0)
    )
    return limiter.hit(request.client.host if request.client else "unknown", cost=cost)


def get_sessions(services: ServicesDep) -> SessionStore:
    """``services.sessions``, created over the gateway database if nobody wired one."""
    if services.sessions is None:
        with _LAZY_LOCK:
            if services.sessions is None:
                services.sessions = SessionStore(services.engine, services.settings)
    sessions: SessionStore = services.sessions
    return sessions


async def _sessions_dep(services: ServicesDep) -> SessionStore:
    return get_sessions(services)


SessionsDep = Annotated[SessionStore, Depends(_sessions_dep)]


def get_role_cache(request: Request) -> RoleCache:
    """The app's role cache (``app.state.role_cache``; preset one to change its TTL or clock)."""
    cache: RoleCache = app_singleton(request, "role_cache", RoleCache)
    return cache


def get_metrics(request: Request) -> Metrics:
    """The app's metrics (registry and helpers to add gauges and counters)."""
    metrics: Metrics = app_singleton(request, "metrics", Metrics)
    return metrics


async def _metrics_dep(request: Request) -> Metrics:
    return get_metrics(request)


MetricsDep = Annotated[Metrics, Depends(_metrics_dep)]


class Account:
    """A signed-in caller: checksummed address, on-chain roles and the session's token.

    ``roles`` may be given as a function: they are then read on first use only, so a request that
    never asks (a resident reading their own data) costs no chain call.
    """

    __slots__ = ("_load", "_roles", "address", "token")

    def __init__(
        self,
        address: str,
        roles: frozenset[str] | Callable[[], frozenset[str]],
        token: str,  # a bearer secret: never in logs or reprs
    ) -> None:
        self.address = address
        self.token = token
        self._roles = roles if isinstance(roles, frozenset) else None
        self._load = None if isinstance(roles, frozenset) else roles

    @property
    def roles(self) -> frozenset[str]:
        """The on-chain roles (read through the role cache the first time they are needed)."""
        if self._roles is None:
            assert self._load is not None
            self._roles = self._load()
        return self._roles

    def has(self, *roles: str) -> bool:
        """True if the account holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)

    def __repr__(self) -> str:
        return f"Account(address={self.address!r})"


async def _current_account_dep(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Account:
    """The caller of a request carrying ``Authorization: Bearer <token>`` (else 401).

    The session is looked up in memory on the event loop, else in the database (see off_loop);
    the chain is not touched here (roles are read lazily, in the handler's thread). Services
    and sessions are taken here, not as sub-dependencies: every signed-in request solves this
    one, and each dependency costs about as much as the lookup itself."""
    if credentials is None:
        raise AuthError(
            "sign in first: POST /v1/auth/nonce, sign the message, POST /v1/auth/login, then send "
            "the token as 'Authorization: Bearer <token>'"
        )
    services = get_services(request)
    sessions = get_sessions(services)
    token = credentials.credentials
    address = sessions.remembered(token) or await off_loop(services, sessions.stored, token)
    if address is None:
        raise AuthError("the session token is unknown, expired or signed out: sign in again")
    cache = get_role_cache(request)  # roles are read only if the handler asks for them
    return Account(address, lambda: cache.roles_of(services.system, address), token)


async def off_loop(services: Services, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, a read of the gateway database: inline on a local SQLite file, where a
    read costs less than a hop to the thread pool; in a thread on a database server, where each
    read waits a network round trip and the event loop must serve other requests meanwhile."""
    if services.engine.dialect.name == "sqlite":
        return fn(*args)
    return await asyncio.to_thread(fn, *args)


CurrentAccount = Annotated[Account, Depends(_current_account_dep)]


def _check_roles(roles: tuple[str, ...]) -> None:
    unknown = sorted(set(roles) - ALL_ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles {unknown}: use some of {sorted(ALL_ROLES)}")


def require_role(*roles: str, refusal: str | None = None) -> Callable[[Account], Account]:
    """A dependency admitting a caller holding at least one of ``roles`` on chain (else 403,
    with ``refusal`` after the caller's address as the message when given).

    Use as ``account: Annotated[Account, Depends(require_role("MINTER"))]``.
    """
    _check_roles(roles)
    because = refusal or (
        f"does not hold the on-chain role {' or '.join(roles)} needed here: ask the ledger's "
        "administrator to grant it"
    )

    def dependency(account: CurrentAccount) -> Account:
        if not account.has(*roles):
            raise Forbidden(
                f"{account.address} {because}",
                {"missing_role": list(roles), "roles": sorted(account.roles)},
            )
        return account

    dependency.__name__ = f"require_{'_or_'.join(r.lower() for r in roles)}"
    return dependency


def is_self_or_role(account: Account, address: str, *roles: str) -> bool:
    """True if ``account`` is ``address`` or holds one of ``roles`` (read only if needed)."""
    if address.lower() == account.address.lower():  # the usual case: no checksum, no roles
        return True
    if roles:
        _check_roles(roles)
    return checksum(address) == account.address or account.has(*roles)


def ensure_self_or_role(account: Account, address: str, *roles: str) -> None:
    """Allow ``account`` to act on ``address``'s data only if it is that address or holds a role.

    "A resident sees only their own notices and claims": raises 403 otherwise.
    """
    if is_self_or_role(account, address, *roles):
        return
    needed = f" or hold the on-chain role {' or '.join(roles)}" if roles else ""
    raise Forbidden(
        f"{account.address} may only see its own data here: sign in as {checksum(address)}{needed}",
        {"missing_role": list(roles)} if roles else None,
    )
