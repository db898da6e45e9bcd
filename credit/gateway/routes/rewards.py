"""Rewards: idempotent mint runs for operators, balances and payments for residents."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from credit.gateway.deps import (
    Account,
    CurrentAccount,
    ServicesDep,
    ensure_self_or_role,
    require_role,
)
from credit.gateway.errors import ApiError
from credit.gateway.responses import AddressPath
from credit.gateway.rewards import RewardService
from credit.gateway.routes._route import Routes
from credit.gateway.services import Services

routes = Routes(tags=["rewards"])
Minter = Annotated[Account, Depends(require_role("MINTER"))]


class MintIn(BaseModel):
    """Pay the rewards of one ended epoch to everyone who earned credit in it."""

    model_config = ConfigDict(extra="forbid")
    epoch: int = Field(ge=0, lt=2**24)


def _service(services: Services) -> RewardService:
    if services.rewards is None:
        from eth_account import Account as EthAccount

        services.rewards = RewardService(
            services, EthAccount.from_key(services.settings.minter_private_key())
        )
        services.background.append(services.rewards)
        services.rewards.start()
    service: RewardService = services.rewards
    return service


class RunTx(BaseModel):
    hash: str
    status: str


class Progress(BaseModel):
    paid: int = Field(description="residents paid so far")
    total: int = Field(description="residents to pay in this run")


class RunOut(BaseModel):
    """A mint run: its epoch, status and progress, with the transactions it sent."""

    id: int
    epoch: int
    status: str = Field(description="accepted, running, done or failed")
    progress: Progress
    error: str | None
    transactions: list[RunTx]


class Payment(BaseModel):
    epoch: int
    points: int
    amount: str = Field(description="token units (18 decimals), as a decimal string")
    tx_hash: str
    block_number: int


class RewardsOut(BaseModel):
    """A resident's reward-token balance (a decimal string of token units) and payments."""

    resident: str
    balance: str
    symbol: str
    decimals: int
    payments: list[Payment]


@routes.post(
    "/rewards/mint",
    status_code=202,
    response_model=RunOut,
    responses={200: {"model": RunOut, "description": "the stored run of this Idempotency-Key"}},
    errors=(401, 403, 503),
    codes={
        400: "`idempotency_key_required`",
        422: "`invalid_request`, `epoch_not_ended`, the Idempotency-Key reused with another body",
    },
)
def mint(
    body: MintIn,
    response: Response,
    services: ServicesDep,
    _: Minter,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> dict[str, Any]:
    """Start (or return) the mint run of ``epoch``; amounts come from the chain, not from you.

    The same ``Idempotency-Key`` with the same body returns the stored run (200); with another
    body it is refused (422); without one, 400. Poll ``GET /v1/rewards/runs/{id}`` for progress.
    """
    service = _service(services)
    if not idempotency_key:
        raise ApiError(
            400,
            "idempotency_key_required",
            "send an Idempotency-Key header (1-200 characters) with each mint request",
        )
    current = int(services.system.ledger.functions.currentEpoch().call())
    if body.epoch >= current:
        raise ApiError(
            422,
            "epoch_not_ended",
            f"epoch {body.epoch} has not ended yet (current epoch {current})",
        )
    status, run = service.request(idempotency_key, body.epoch)
    response.status_code = status
    return run


# Run ids are database integers: a larger number would overflow the driver (a 500), so it is a 422.
RunId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the run's id")]


@routes.get("/rewards/runs/{run_id}", response_model=RunOut, errors=(401, 403, 404, 422, 503))
def run_status(run_id: RunId, services: ServicesDep, _: Minter) -> dict[str, Any]:
    """A mint run's status and progress (paid / total residents), with its transactions."""
    return _service(services).run(run_id)


@routes.get("/residents/{address}/rewards", response_model=RewardsOut, errors=(401, 403, 422, 503))
def resident_rewards(
    address: AddressPath, account: CurrentAccount, services: ServicesDep
) -> dict[str, Any]:
    """The resident's reward-token balance and past payments by epoch."""
    ensure_self_or_role(account, address, "ARBITER")
    if services.indexer is None:
        raise ApiError(503, "index_unavailable", "the indexer is not running: try again shortly")
    who = address.lower()
    ledger = services.system.ledger
    balance = ledger.functions.balanceOf(services.system.w3.to_checksum_address(address)).call()
    payments = [
        {
            "epoch": p.epoch,
            "points": p.points,
            "amount": str(p.amount),
            "tx_hash": p.at.tx_hash,
            "block_number": p.at.block_number,
        }
        for p in services.indexer.facts().rewards
        if p.resident == who
    ]
    return {
        "resident": who,
        "balance": str(balance),
        "symbol": "CCR",
        "decimals": 18,
        "payments": sorted(payments, key=lambda p: p["epoch"]),
    }
