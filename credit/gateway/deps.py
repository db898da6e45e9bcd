"""FastAPI dependencies (``Annotated`` aliases) shared by the routers.

Who the caller is comes from a session token (``Authorization: Bearer``); what the caller may do
comes from the caller's on-chain roles (:mod:`credit.chain.roles`), read through a per-app cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from credit.chain.roles import ALL_ROLES, RoleCache, checksum
from credit.errors import AuthError
from credit.gateway.auth import SessionStore
from credit.gateway.errors import Forbidden
from credit.gateway.metrics import Metrics
from credit.gateway.services import Services

_LAZY_LOCK = threading.Lock()
_bearer = HTTPBearer(auto_error=False, description="the session token from POST /v1/auth/login")


def get_services(request: Request) -> Services:
    """The app's :class:`Services`."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


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


def get_sessions(services: ServicesDep) -> SessionStore:
    """``services.sessions``, created over the gateway database if nobody wired one."""
    if services.sessions is None:
        with _LAZY_LOCK:
            if services.sessions is None:
                services.sessions = SessionStore(services.engine, services.settings)
    sessions: SessionStore = services.sessions
    return sessions


SessionsDep = Annotated[SessionStore, Depends(get_sessions)]


def get_role_cache(request: Request) -> RoleCache:
    """The app's role cache (``app.state.role_cache``; preset one to change its TTL or clock)."""
    cache: RoleCache = app_singleton(request, "role_cache", RoleCache)
    return cache


def get_metrics(request: Request) -> Metrics:
    """The app's metrics (registry and helpers to add gauges and counters)."""
    metrics: Metrics = app_singleton(request, "metrics", Metrics)
    return metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]


@dataclass(frozen=True)
class Account:
    """A signed-in caller: checksummed address, on-chain roles and the session's token."""

    address: str
    roles: frozenset[str]
    token: str = field(repr=False)  # a bearer secret: never in logs

    def has(self, *roles: str) -> bool:
        """True if the account holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)


def current_account(
    request: Request,
    services: ServicesDep,
    sessions: SessionsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Account:
    """The caller of a request carrying ``Authorization: Bearer <token>`` (else 401)."""
    if credentials is None:
        raise AuthError(
            "sign in first: POST /v1/auth/nonce, sign the message, POST /v1/auth/login, then send "
            "the token as 'Authorization: Bearer <token>'"
        )
    address = sessions.lookup(credentials.credentials)
    if address is None:
        raise AuthError("the session token is unknown, expired or signed out: sign in again")
    roles = get_role_cache(request).roles_of(services.system, address)
    return Account(address, roles, credentials.credentials)


CurrentAccount = Annotated[Account, Depends(current_account)]


def _check_roles(roles: tuple[str, ...]) -> None:
    unknown = sorted(set(roles) - ALL_ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles {unknown}: use some of {sorted(ALL_ROLES)}")


def require_role(*roles: str) -> Callable[[Account], Account]:
    """A dependency admitting a caller holding at least one of ``roles`` on chain (else 403).

    Use as ``account: Annotated[Account, Depends(require_role("MINTER"))]``.
    """
    _check_roles(roles)

    def dependency(account: CurrentAccount) -> Account:
        if not account.has(*roles):
            raise Forbidden(
                f"{account.address} does not hold the on-chain role {' or '.join(roles)} needed "
                "here: ask the ledger's administrator to grant it",
                {"missing_role": list(roles), "roles": sorted(account.roles)},
            )
        return account

    dependency.__name__ = f"require_{'_or_'.join(r.lower() for r in roles)}"
    return dependency


def ensure_self_or_role(account: Account, address: str, *roles: str) -> None:
    """Allow ``account`` to act on ``address``'s data only if it is that address or holds a role.

    "A resident sees only their own notices and claims": raises 403 otherwise.
    """
    if roles:
        _check_roles(roles)
    if checksum(address) == account.address or account.has(*roles):
        return
    needed = f" or hold the on-chain role {' or '.join(roles)}" if roles else ""
    raise Forbidden(
        f"{account.address} may only see its own data here: sign in as {checksum(address)}{needed}",
        {"missing_role": list(roles)} if roles else None,
    )
