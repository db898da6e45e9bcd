"""Appeals: a resident's EIP-712-signed appeal against a violation, relayed to the ledger."""

from __future__ import annotations

from typing import Any

from eth_account import Account as EthAccount
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from credit.chain.recover import SignatureFormatError, compact_from_hex
from credit.chain.tx import Transactor
from credit.gateway.deps import CurrentAccount, ServicesDep
from credit.gateway.errors import ApiError, Forbidden
from credit.gateway.responses import error_responses
from credit.gateway.rewards import SIGNING_LOCK
from credit.gateway.services import Services

router = APIRouter(tags=["appeals"])
HEX32 = r"^0x[0-9a-fA-F]{64}$"


class AppealIn(BaseModel):
    """``Appeal(recordId, statement, nonce, deadline)`` signed by the resident (EIP-712).

    ``statement`` is a hash of the resident's statement (e.g. an evidence commitment); ``nonce`` is
    the resident's account nonce (``nonces(address)`` on the ledger), never their claim nonce.
    """

    model_config = ConfigDict(extra="forbid")
    record_id: str = Field(pattern=HEX32)
    statement: str = Field(pattern=HEX32)
    nonce: int = Field(ge=0, lt=2**64)
    deadline: int = Field(ge=0, lt=2**48)
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


def _sender(services: Services) -> Transactor:
    """The minter key relays appeals too; it shares the reward worker's signing lock."""
    account = EthAccount.from_key(services.settings.minter_private_key())
    return Transactor(services.system.w3, account, services.system.decoder, gas=300_000)


@router.post("/appeals", status_code=201, responses=error_responses(401, 403, 422, 503))
def file_appeal(body: AppealIn, account: CurrentAccount, services: ServicesDep) -> dict[str, Any]:
    """File your signed appeal on chain; the arbiter decides. Errors name the ledger's reason."""
    ledger = services.system.ledger
    violation = ledger.functions.violation(bytes.fromhex(body.record_id[2:])).call()
    if violation[0].lower() != account.address.lower():
        raise Forbidden("you can only appeal a violation recorded against you")
    try:  # the ledger's own checks (v, low s) before any call: a bad v is a 422, never a 500
        sig = compact_from_hex(body.signature)
    except SignatureFormatError as exc:
        raise ApiError(422, "invalid_signature", f"{exc}: sign the appeal again") from exc
    fn = ledger.functions.fileAppealBySig(
        bytes.fromhex(body.record_id[2:]),
        bytes.fromhex(body.statement[2:]),
        body.nonce,
        body.deadline,
        sig.r,
        sig.vs,
    )
    with SIGNING_LOCK:
        receipt = _sender(services).send(fn)
    return {
        "record_id": body.record_id,
        "tx_hash": receipt["transactionHash"].to_0x_hex(),
        "block_number": receipt["blockNumber"],
        "status": "appealed",
    }
