"""Sign-In with Ethereum: nonce, login, who am I, logout (``/v1/auth``)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import datetime

from fastapi import Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from credit.chain.roles import checksum
from credit.gateway.auth import MAX_MESSAGE_CHARS, STATEMENT, to_datetime
from credit.gateway.deps import (
    CurrentAccount,
    ServicesDep,
    SessionsDep,
    app_singleton,
    client_wait,
    get_role_cache,
)
from credit.gateway.ratelimit import RateLimited, SlidingWindowLimiter
from credit.gateway.routes._route import Routes

routes = Routes(prefix="/auth", tags=["auth"])


def signin_rate_limit(request: Request, services: ServicesDep) -> None:
    """Count a sign-in attempt of the client's IP; over ``signin_rate_per_minute`` it is a 429.

    The key is the peer address of the connection; behind a proxy run uvicorn with
    ``--proxy-headers`` and trusted ``--forwarded-allow-ips`` so that it is the real client.
    An IP of ``signin_shared_networks`` (a kiosk, a NAT'd district network: many residents
    behind one address) has ``signin_shared_rate_per_minute`` instead; each wallet address
    still has its own budget (:func:`address_admission`).
    """
    s = services.settings
    if _shared(request, s.signin_shared_networks):
        wait = client_wait(request, "signin_shared_limiter", s.signin_shared_rate_per_minute)
    else:
        wait = client_wait(request, "signin_limiter", s.signin_rate_per_minute)
    if wait is not None:
        raise RateLimited("sign-in attempts from this address", wait)


def _shared(request: Request, networks: list[str]) -> bool:
    if not networks or request.client is None:
        return False
    try:
        ip = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n) for n in networks)


def address_admission(request: Request, services: ServicesDep) -> Callable[[str], None]:
    """Count a verified sign-in of a wallet address, from any IP: over
    ``signin_rate_per_address_per_minute`` it is a 429 (only the key's holder can spend it)."""
    per_minute = services.settings.signin_rate_per_address_per_minute
    limiter: SlidingWindowLimiter = app_singleton(
        request, "signin_address_limiter", lambda: SlidingWindowLimiter(per_minute, 60.0)
    )

    def admit(address: str) -> None:
        wait = limiter.hit(address.lower())
        if wait is not None:
            raise RateLimited("sign-in attempts of this wallet", wait)

    return admit


SignInLimited = Depends(signin_rate_limit)


class NonceIn(BaseModel):
    """The account that will sign in (optional): the answer carries it checksummed."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="any capitalisation")


class NonceOut(BaseModel):
    """What a wallet needs to build the EIP-4361 message."""

    nonce: str
    expires_at: datetime
    domain: str
    uri: str
    chain_id: int
    statement: str
    address: str | None = Field(
        default=None,
        description="the requested address in EIP-55 form, as the message must carry it",
    )


class LoginIn(BaseModel):
    """A signed EIP-4361 message."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(
        min_length=1, max_length=MAX_MESSAGE_CHARS, description="the EIP-4361 text, unchanged"
    )
    signature: str = Field(
        pattern=r"^0x[0-9a-fA-F]{130}$", description="EIP-191 personal_sign signature (65 bytes)"
    )


class LoginOut(BaseModel):
    """A session: send ``token`` as ``Authorization: Bearer <token>``."""

    token: str
    address: str
    expires_at: datetime
    roles: list[str]


class MeOut(BaseModel):
    """The signed-in account and its on-chain roles."""

    address: str
    roles: list[str]


@routes.post("/nonce", dependencies=[SignInLimited], errors=(422, 429))
def issue_nonce(
    services: ServicesDep, sessions: SessionsDep, body: NonceIn | None = None
) -> NonceOut:
    """Issue a single-use sign-in nonce and the fields the message must carry.

    Send ``{"address": ...}`` to have it back in EIP-55 form (so a web client needs no keccak).
    """
    issued = sessions.issue_nonce()
    s = services.settings
    return NonceOut(
        nonce=issued.nonce,
        expires_at=to_datetime(issued.expires_at),
        domain=s.siwe_domain,
        uri=s.siwe_uri,
        chain_id=services.system.record.chain_id,
        statement=STATEMENT,
        address=checksum(body.address) if body else None,
    )


@routes.post("/login", dependencies=[SignInLimited], errors=(401, 422, 429, 503))
def login(
    body: LoginIn, request: Request, services: ServicesDep, sessions: SessionsDep
) -> LoginOut:
    """Sign in with a signed EIP-4361 message; returns a session token and the on-chain roles."""
    token, address, expires_at = sessions.login(
        body.message,
        body.signature,
        services.system.record.chain_id,
        admit=address_admission(request, services),
    )
    roles = get_role_cache(request).roles_of(services.system, address)
    return LoginOut(token=token, address=address, expires_at=expires_at, roles=sorted(roles))


@routes.get("/me", errors=(401, 503))
def me(account: CurrentAccount) -> MeOut:
    """The signed-in account and the roles it holds on chain now (cached for a few seconds)."""
    return MeOut(address=account.address, roles=sorted(account.roles))


@routes.post("/logout", status_code=204, response_class=Response, errors=(401, 503))
def logout(account: CurrentAccount, sessions: SessionsDep) -> Response:
    """End this session; the token is refused afterwards."""
    sessions.logout(account.token)
    return Response(status_code=204)
