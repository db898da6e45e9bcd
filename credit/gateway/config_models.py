"""The typed answer of ``GET /v1/config``: chain, contracts, the EIP-712 messages, the rules.

``eip712.messages`` holds one complete typed-data description per primary type, ready for
ethers' ``signer.signTypedData(domain, types, value)`` (which wants ``types`` without
``EIP712Domain`` and with exactly one primary type), and says which endpoint takes the signed
message and how its JSON body's fields map to the struct's (``occurredAt`` is sent as
``occurred_at``). For ``eth_signTypedData_v4`` add ``EIP712Domain: eip712.domain_type`` to
``types`` and pass ``primaryType``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from credit.chain.eip712 import DOMAIN_FIELDS, DOMAIN_NAME, DOMAIN_VERSION, TYPES
from credit.ruleset import Category, Terms, Text

TypeField = dict[str, str]  # {"name": ..., "type": ...}

EXAMPLE_LEDGER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
EXAMPLE_DOMAIN: dict[str, Any] = {
    "name": DOMAIN_NAME,
    "version": DOMAIN_VERSION,
    "chainId": 31337,
    "verifyingContract": EXAMPLE_LEDGER,
}


class Domain(BaseModel):
    """The ledger's EIP-712 domain: every signature is bound to this chain and this contract."""

    model_config = {"json_schema_extra": {"examples": [EXAMPLE_DOMAIN]}}

    name: Literal["Consensus Credit"]
    version: Literal["1"]
    chainId: int = Field(description="the chain id; a signature for another chain never verifies")
    verifyingContract: str = Field(description="the CreditLedger's address (EIP-55)")


class Message(BaseModel):
    """One primary type: ``signTypedData(domain, types, value)`` with ``value`` built from the
    body you will send, renaming fields as ``fields`` says (struct field → body field)."""

    primaryType: str
    types: dict[str, list[TypeField]] = Field(
        description="exactly this primary type (and no EIP712Domain): what ethers' "
        "signTypedData takes as its `types` argument"
    )
    endpoint: str = Field(description="where the signed message is sent")
    fields: dict[str, str] = Field(
        description="struct field → JSON body field, for each field whose name differs or "
        "whose body value is not the signed value itself"
    )
    notes: str = ""


# The signed messages a client may send, with their endpoints and body field names.
MESSAGES: dict[str, dict[str, Any]] = {
    "Claim": {
        "endpoint": "POST /v1/claims (or one item of POST /v1/claims/batch)",
        "fields": {"occurredAt": "occurred_at"},
        "notes": "`nonce` is the resident's next claim nonce: `claim_nonce` of "
        "GET /v1/residents/{address}/nonces (with a session of that resident, from "
        "POST /v1/auth/login). `evidence` is the "
        "commitment POST /v1/evidence returned, or 32 zero bytes. `deadline` is a unix time "
        "after the chain's clock and at most the gateway's limit ahead of it.",
    },
    "Report": {
        "endpoint": "POST /v1/reports (a signed-in official)",
        "fields": {"occurredAt": "occurred_at"},
        "notes": "`nonce` is any number telling otherwise identical reports apart.",
    },
    "Confirmation": {
        "endpoint": "POST /v1/confirmations",
        "fields": {},
        "notes": "`records`: the record ids (the `record_id` POST /v1/claims answered), each "
        "once, sorted ascending. `kind`: 0 SUPERIOR, 1 PEER, 2 PUBLIC, 3 EXPERT.",
    },
    "Rejection": {
        "endpoint": "POST /v1/claims/{record_id}/rejections",
        "fields": {"recordId": "{record_id} (the path)", "note": "keccak256(utf8(note))"},
        "notes": "`reason` is the index of the body's reason in did_not_happen, wrong_amount, "
        "wrong_date, not_enough_evidence, other.",
    },
    "Appeal": {
        "endpoint": "POST /v1/appeals (a session of the resident)",
        "fields": {"recordId": "record_id"},
        "notes": "`nonce` is the resident's account nonce (`account_nonce` of "
        "GET /v1/residents/{address}/nonces), not their claim nonce.",
    },
    "Decision": {
        "endpoint": "POST /v1/appeals/{record_id}/decision (a session of an arbiter)",
        "fields": {"recordId": "{record_id} (the path)"},
        "notes": "`nonce` is the arbiter's account nonce.",
    },
}


def messages() -> dict[str, Message]:
    """One :class:`Message` per primary type the gateway takes."""
    return {
        name: Message(
            primaryType=name,
            types={name: TYPES[name]},
            endpoint=spec["endpoint"],
            fields=spec["fields"],
            notes=spec["notes"],
        )
        for name, spec in MESSAGES.items()
    }


EXAMPLE_EIP712: dict[str, Any] = {
    "domain": EXAMPLE_DOMAIN,
    "domain_type": DOMAIN_FIELDS,
    "messages": {"Claim": messages()["Claim"].model_dump()},
    "types": {"Claim": TYPES["Claim"]},
}


class Eip712(BaseModel):
    """What a wallet signs under: the domain, and each message's types."""

    model_config = {"json_schema_extra": {"examples": [EXAMPLE_EIP712]}}

    domain: Domain
    domain_type: list[TypeField] = Field(
        description="the EIP712Domain struct's fields, for eth_signTypedData_v4 payloads"
    )
    messages: dict[str, Message] = Field(
        description="one entry per primary type (Claim, Report, Confirmation, Rejection, "
        "Appeal, Decision), each ready for signTypedData(domain, types, value)"
    )
    types: dict[str, list[TypeField]] = Field(
        description="every struct at once (as eth_signTypedData_v4 payloads carry them, with "
        "`primaryType`); ethers refuses this object as ambiguous: use `messages[X].types`"
    )


class Contracts(BaseModel):
    CreditLedger: str
    RuleBook: str


class Epoch(BaseModel):
    length_seconds: int
    genesis: int = Field(description="unix time at which epoch 0 began")


class Rules(BaseModel):
    """The rule set in force: its hash is on chain, its categories are what claims name."""

    label: str
    hash: str
    description: Text
    categories: list[Category]
    terms: Terms


class Token(BaseModel):
    symbol: str
    decimals: int


class Siwe(BaseModel):
    """What the EIP-4361 message must say: its `domain` and `uri` lines."""

    domain: str
    uri: str


class ConfigOut(BaseModel):
    """Everything a client needs to sign for this ledger and to talk to this gateway."""

    chain_id: int
    network: str
    contracts: Contracts
    eip712: Eip712
    epoch: Epoch
    rules: Rules
    token: Token
    siwe: Siwe
    wallet_rpc_urls: list[str] = Field(description="what a wallet adds the network with")
