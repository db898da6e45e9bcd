"""Appeals: a resident's signed appeal with a statement, the arbiters' inbox and their signed
decision with written reasoning, each relayed to the ledger; the outcome for the resident.

Texts (statement, optional evidence text, reasoning) are uploaded first as ``text/plain`` to
``POST /v1/evidence``; its ``commitment`` is what the resident or the arbiter signs (see
:mod:`credit.gateway.appeals`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from eth_account import Account as EthAccount
from fastapi import Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from credit.chain.eip712 import CompactSignature, digest
from credit.chain.recover import SignatureFormatError, compact_from_hex, recover_digest
from credit.chain.roles import ARBITER, checksum
from credit.chain.tx import Transactor
from credit.gateway import appeals as texts
from credit.gateway.deps import Account, CurrentAccount, ServicesDep, get_role_cache
from credit.gateway.errors import ApiError, Forbidden, NotFound
from credit.gateway.evidence import EvidenceRecord, EvidenceStore
from credit.gateway.evidence_access import EvidenceAccess
from credit.gateway.rewards import minter_signing
from credit.gateway.routes._route import Routes
from credit.gateway.services import Services

routes = Routes(tags=["appeals"])
HEX32 = r"^0x[0-9a-fA-F]{64}$"
EVIDENCE_ID = r"^[0-9a-f]{32}$"
_APPEALED = 2  # ViolationStatus.APPEALED of Common.sol


class NotArbiter(ApiError):
    def __init__(self, address: str) -> None:
        super().__init__(
            403,
            "not_arbiter",
            f"{address} does not hold the arbiter role: only arbiters read and decide appeals",
        )


class NotAppealed(ApiError):
    def __init__(self, record_id: str, status: int) -> None:
        names = {0: "unknown", 1: "not appealed", 3: "already upheld", 4: "already overturned"}
        super().__init__(
            409,
            "not_appealed",
            f"violation {record_id} is {names.get(status, 'not appealed')}: only an open appeal "
            "can be decided; reload the appeals to decide",
            {"status": status},
        )


class OwnAppeal(ApiError):
    def __init__(self) -> None:
        super().__init__(
            403, "own_appeal", "nobody decides their own appeal: another arbiter must decide it"
        )


class InvalidSignature(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(422, "invalid_signature", message)


# ----------------------------------------------------------------------------------- models
class _BySig(BaseModel):
    """What ends a message relayed to a ``*BySig`` call: the signer's account nonce, a deadline
    and the 65-byte signature. Listed first among a model's bases, so that these fields come
    after those of the bases that follow it (pydantic orders by the reversed MRO)."""

    model_config = ConfigDict(extra="forbid")
    nonce: int = Field(ge=0, lt=2**64)
    deadline: int = Field(ge=0, lt=2**48)
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")

    def compact(self, what: str) -> CompactSignature:
        """The signature in EIP-2098 form, checked as the ledger checks it (v, low s) before any
        call: a bad v is a 422 ``invalid_signature`` that asks to sign ``what`` again."""
        try:
            return compact_from_hex(self.signature)
        except SignatureFormatError as exc:
            raise InvalidSignature(f"{exc}: sign the {what} again") from exc


class _Appeal(BaseModel):
    record_id: str = Field(pattern=HEX32)
    statement: str = Field(pattern=HEX32)
    evidence_id: str | None = Field(default=None, pattern=EVIDENCE_ID)


class AppealIn(_BySig, _Appeal):
    """``Appeal(recordId, statement, nonce, deadline)`` signed by the resident (EIP-712).

    ``statement`` is the commitment of the statement text the resident stored first with
    ``POST /v1/evidence`` (text/plain, at most 4,000 bytes); the gateway finds that text by its
    commitment and keeps it with the appeal. ``evidence_id`` optionally names another text item
    of theirs (what else the arbiter should know). ``nonce`` is the resident's account nonce
    (``nonces(address)`` on the ledger), never their claim nonce.
    """


class AppealFiledOut(BaseModel):
    record_id: str
    tx_hash: str
    block_number: int
    status: Literal["appealed"]
    statement_stored: bool  # the statement's text is kept with the appeal


class _Decision(BaseModel):
    overturn: bool
    reason: str = Field(pattern=HEX32)
    reasoning_id: str = Field(pattern=EVIDENCE_ID)


class DecisionIn(_BySig, _Decision):
    """``Decision(recordId, overturn, reason, nonce, deadline)`` signed by an arbiter (EIP-712).

    ``reason`` is the commitment of the reasoning text the arbiter stored first with
    ``POST /v1/evidence`` (text/plain, at most 4,000 bytes) and names in ``reasoning_id``; the
    resident reads it with the outcome. ``nonce`` is the arbiter's account nonce.
    """


class DecisionOut(BaseModel):
    record_id: str
    overturned: bool
    tx_hash: str
    block_number: int
    status: Literal["upheld", "overturned"]


class TextView(BaseModel):
    evidence_id: str
    author: str
    commitment: str
    text: str | None  # None once its author erased it
    erased: bool


class ConfirmationView(BaseModel):
    evaluator: str
    kind: Literal["superior", "peer", "public", "expert"]


class ReportView(BaseModel):
    category: int
    category_key: str | None
    rule_title: dict[str, str] | None  # {"en": ..., "zh": ...}
    rule_version: int
    units: int
    points: int
    deducted: int
    occurred_at: int | None
    reporter: str | None
    reporter_kinds: list[str]
    evidence: str | None  # the report's evidence commitment
    evidence_id: str | None  # its item in the evidence store, when this gateway holds it
    recorded_at: int
    tx_hash: str


class AppealPart(BaseModel):
    appealed_at: int
    tx_hash: str
    statement_hash: str
    statement: TextView | None
    evidence: TextView | None


class DecisionPart(BaseModel):
    overturned: bool
    restored: int
    arbiter: str
    decided_at: int
    tx_hash: str
    reason_hash: str
    reasoning: TextView | None


class AppealView(BaseModel):
    record_id: str
    resident: str
    status: Literal["recorded", "open", "upheld", "overturned"]
    report: ReportView
    confirmations: list[ConfirmationView]
    confirmations_by_kind: dict[str, int]
    appeal_deadline: int
    appeal: AppealPart | None
    decision: DecisionPart | None


class AppealList(BaseModel):
    status: Literal["open", "decided", "all"]
    appeals: list[AppealView]


# --------------------------------------------------------------------------------- helpers
def _sender(services: Services) -> Transactor:
    """The minter key relays appeals and decisions too; it shares the reward worker's lock."""
    account = EthAccount.from_key(services.settings.minter_private_key())
    return Transactor(services.system.w3, account, services.system.decoder, gas=300_000)


def _store(services: Services) -> EvidenceStore:
    if services.evidence is None:
        services.evidence = EvidenceStore.from_settings(services.engine, services.settings)
    store: EvidenceStore = services.evidence
    return store


def _arbiter(account: CurrentAccount) -> Account:
    if not account.has(ARBITER):
        raise NotArbiter(account.address)
    return account


Arbiter = Annotated[Account, Depends(_arbiter)]


def _view(request: Request, services: Services, record_id: str, reader: Account) -> AppealView:
    """The appeal as ``reader`` sees it; each stored text of it they read (a statement, its
    evidence, the reasoning) is in the evidence access log, unless they wrote it."""
    cache = get_role_cache(request)
    store = _store(services)
    access = EvidenceAccess(store, services.engine)
    capacity = "ARBITER" if reader.has(ARBITER) else "RESIDENT"
    purpose = "decide appeal" if reader.has(ARBITER) else "appeal outcome"

    def logged(record: EvidenceRecord, rid: str) -> None:
        if record.owner != reader.address.lower():
            access.log(record, reader.address, capacity, rid, purpose, "content", once_within=3600)

    view = texts.appeal_view(
        services, store, record_id, lambda a: cache.roles_of(services.system, a), logged
    )
    return AppealView.model_validate(view)


# ---------------------------------------------------------------------------------- routes
@routes.post("/appeals", status_code=201, errors=(401, 403, 422, 503))
def file_appeal(body: AppealIn, account: CurrentAccount, services: ServicesDep) -> AppealFiledOut:
    """File your signed appeal on chain with your statement; an arbiter decides.

    Errors: 403 ``forbidden`` (not your violation), 422 ``evidence_mismatch`` (``evidence_id`` is
    not your plain text), 422 ``invalid_signature``, 422 ``contract_revert`` (the ledger's reason:
    window closed, already appealed, nonce used).
    """
    ledger = services.system.ledger
    violation = ledger.functions.violation(bytes.fromhex(body.record_id[2:])).call()
    if violation[0].lower() != account.address.lower():
        raise Forbidden("you can only appeal a violation recorded against you")
    store = _store(services)
    statement_id = texts.owned_text_id(services.engine, body.statement, account.address)
    if statement_id is not None:
        texts.check_text(
            store, "statement", statement_id, account.address, texts.STATEMENT_MAX_BYTES
        )
    if body.evidence_id is not None:
        texts.check_text(
            store, "evidence", body.evidence_id, account.address, texts.EVIDENCE_TEXT_MAX_BYTES
        )
    sig = body.compact("appeal")
    fn = ledger.functions.fileAppealBySig(
        bytes.fromhex(body.record_id[2:]),
        bytes.fromhex(body.statement[2:]),
        body.nonce,
        body.deadline,
        sig.r,
        sig.vs,
    )
    with minter_signing(services.engine):
        receipt = _sender(services).send(fn)
    for part, item in (("statement", statement_id), ("evidence", body.evidence_id)):
        if item is not None:
            texts.link_text(services.engine, body.record_id, part, item, account.address)
    return AppealFiledOut(
        record_id=body.record_id.lower(),
        tx_hash=receipt["transactionHash"].to_0x_hex(),
        block_number=receipt["blockNumber"],
        status="appealed",
        statement_stored=statement_id is not None,
    )


@routes.get("/appeals", errors=(401, 403, 422, 503))
def list_appeals(
    request: Request,
    account: Arbiter,
    services: ServicesDep,
    status: Annotated[Literal["open", "decided", "all"], Query()] = "open",
) -> AppealList:
    """Arbiters' inbox: appeals (``open`` by default, oldest first), each with its report, rule,
    confirmations by kind, evidence reference, statement and deadline. 403 ``not_arbiter``."""
    ids = texts.appealed_record_ids(services.engine, status)
    return AppealList(
        status=status, appeals=[_view(request, services, rid, account) for rid in ids]
    )


@routes.get("/appeals/{record_id}", errors=(401, 403, 404, 422, 503))
def read_appeal(
    request: Request,
    record_id: Annotated[str, Path(pattern=HEX32)],
    account: CurrentAccount,
    services: ServicesDep,
) -> AppealView:
    """A violation, its appeal and the decision with the arbiter's reasoning: for the resident
    it is about and for arbiters (403 ``forbidden`` for anyone else; 404 if not recorded)."""
    resident = texts.violation_resident(services.engine, record_id)
    if resident is None:
        raise NotFound(f"no violation {record_id} is recorded (yet): check the record id")
    if resident != account.address.lower() and not account.has(ARBITER):
        raise Forbidden(
            "only the resident a violation is about and arbiters may read its appeal",
            {"missing_role": [ARBITER]},
        )
    return _view(request, services, record_id, account)


@routes.post(
    "/appeals/{record_id}/decision", status_code=201, errors=(401, 403, 404, 409, 422, 503)
)
def decide_appeal(
    record_id: Annotated[str, Path(pattern=HEX32)],
    body: DecisionIn,
    account: Arbiter,
    services: ServicesDep,
) -> DecisionOut:
    """Relay an arbiter's signed decision (uphold or overturn) with the written reasoning.

    Errors: 403 ``not_arbiter``, 403 ``own_appeal``, 404 ``not_found`` (no such violation), 409
    ``not_appealed`` (not appealed, or already decided), 422 ``reasoning_mismatch`` (the
    reasoning is not your stored plain text with the signed ``reason``), 422
    ``invalid_signature`` (not your signature of this decision), 422 ``contract_revert``.
    """
    rid = bytes.fromhex(record_id[2:])
    ledger = services.system.ledger
    resident, _, _, status = ledger.functions.violation(rid).call()
    if int(status) == 0:
        raise NotFound(f"no violation {record_id} is recorded: check the record id")
    if int(status) != _APPEALED:
        raise NotAppealed(record_id, int(status))
    if str(resident).lower() == account.address.lower():
        raise OwnAppeal()
    texts.check_text(
        _store(services),
        "reasoning",
        body.reasoning_id,
        account.address,
        texts.REASONING_MAX_BYTES,
        body.reason,
    )
    sig = body.compact("decision")
    message = {
        "recordId": rid,
        "overturn": body.overturn,
        "reason": bytes.fromhex(body.reason[2:]),
        "nonce": body.nonce,
        "deadline": body.deadline,
    }
    signer = recover_digest(digest(services.system.domain, "Decision", message), sig)
    if signer is None or signer != checksum(account.address):
        raise InvalidSignature(
            "the signature is not yours over this decision: sign it again with your wallet"
        )
    fn = ledger.functions.resolveAppealBySig(
        rid, body.overturn, message["reason"], body.nonce, body.deadline, sig.r, sig.vs
    )
    with minter_signing(services.engine):
        receipt = _sender(services).send(fn)
    texts.link_text(services.engine, record_id, "reasoning", body.reasoning_id, account.address)
    return DecisionOut(
        record_id=record_id.lower(),
        overturned=body.overturn,
        tx_hash=receipt["transactionHash"].to_0x_hex(),
        block_number=receipt["blockNumber"],
        status="overturned" if body.overturn else "upheld",
    )
