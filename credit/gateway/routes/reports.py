"""Violation reports: an official's EIP-712-signed report, relayed once its quorum is met.

The report waits for confirmations by evaluators of the kinds its category requires, like any
record: it is in their confirmation queue (never the reporter's, never its resident's), they
confirm it with ``POST /v1/confirmations``, and the relay books it with ``relayReports``. The
signed-in caller must be the official who signed it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from credit.gateway.claim_models import ClaimStatusOut
from credit.gateway.deps import Account, CurrentAccount, ServicesDep
from credit.gateway.errors import ApiError
from credit.gateway.routes._route import Routes
from credit.gateway.routes.claims import EVALUATOR_ROLES, _relay
from credit.relay.models import ReportIn
from credit.relay.reports import ReportRefused

routes = Routes(tags=["reports"])

_STATUS = {"not_official": 403, "duplicate_report": 409}  # every other refusal: 422


class ReportError(ApiError):
    """A report refused: ``not_reporter`` / ``not_official`` (403), ``duplicate_report`` (409),
    or 422 ``not_a_resident``, ``not_a_violation_category``, ``invalid_units``,
    ``invalid_signature``, ``occurred_in_future``, ``expired``, ``deadline_too_close``,
    ``deadline_too_far``, ``report_refused``."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        status = _STATUS.get(code, 403 if code == "not_reporter" else 422)
        super().__init__(status, code, message, details)


class ReportStatus(ClaimStatusOut):
    """The report as the relay holds it: a claim's fields, and the official who reported it."""

    reporter: str


def _official(account: CurrentAccount) -> Account:
    """Only officials report: refused before the body is read (a plain def: the role read may
    wait for the node, so FastAPI runs it in the thread pool)."""
    if not account.has(*EVALUATOR_ROLES):
        raise ReportError(
            "not_official",
            f"{account.address} holds no official evaluator role (superior, expert or public "
            "panel): only officials report violations",
            {"roles": sorted(account.roles)},
        )
    return account


Official = Annotated[Account, Depends(_official)]


@routes.post(
    "/reports",
    status_code=202,
    response_model=ReportStatus,
    summary="Report a violation (officials)",
    errors=(401, 403, 409, 422, 503),
)
def submit_report(account: Official, body: ReportIn, services: ServicesDep) -> Any:
    """Check an official's signed violation report (the reporter signed in, an official role,
    a resident registered now or before, a violation category, units, time, deadline) and keep
    it for confirmations by evaluators of the other kinds its category requires."""
    if account.address.lower() != body.reporter.lower():
        raise ReportError(
            "not_reporter",
            f"you are signed in as {account.address}: report under your own address and sign "
            "with your own key",
        )
    try:
        return _relay(services).accept_report(body)
    except ReportRefused as exc:
        raise ReportError(exc.code, str(exc), exc.details) from exc
