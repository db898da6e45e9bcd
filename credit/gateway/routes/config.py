"""What a client needs to talk to this ledger: chain, contracts, EIP-712 domain and types, rules."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from credit.chain.eip712 import DOMAIN_FIELDS, DOMAIN_NAME, DOMAIN_VERSION, TYPES
from credit.gateway.config_models import ConfigOut, messages
from credit.gateway.deps import ServicesDep
from credit.gateway.routes._route import Routes
from credit.settings import Settings
from credit.vocabulary import CATEGORY_KINDS, KIND_NAMES, KIND_ROLES

routes = Routes(tags=["config"])


CONFIG_DESCRIPTION = """No session needed. `eip712.domain` is the domain every signed message
of this ledger uses; `eip712.messages` gives, per primary type (Claim, Report, Confirmation,
Rejection, Appeal, Decision), the `types` object to pass to ethers'
`signer.signTypedData(domain, types, value)`, the endpoint that takes the signed message, and how
the JSON body's fields map to the struct's (the struct's `occurredAt` is the body's
`occurred_at`). A signature made under another domain (another chain id or contract) or over
other values never verifies: the gateway answers 422 `invalid_signature`. A walk-through with
ethers.js and siwe is in `docs/integrate.md`."""


@routes.get("/config", response_model=ConfigOut, description=CONFIG_DESCRIPTION, errors=(503,))
def client_config(services: ServicesDep) -> dict[str, Any]:
    """Chain id, contracts, the EIP-712 domain and messages, and the rule set's categories."""
    system, ruleset = services.system, services.ruleset
    length, genesis = system.ledger.functions.epochSchedule().call()
    return {
        "chain_id": system.record.chain_id,
        "network": system.record.network,
        "contracts": {"CreditLedger": system.ledger.address, "RuleBook": system.rule_book.address},
        "eip712": {
            "domain": {
                "name": DOMAIN_NAME,
                "version": DOMAIN_VERSION,
                "chainId": system.record.chain_id,
                "verifyingContract": system.ledger.address,
            },
            "domain_type": DOMAIN_FIELDS,
            "messages": messages(),
            "types": TYPES,
        },
        "epoch": {"length_seconds": int(length), "genesis": int(genesis)},
        "rules": {
            "label": ruleset.label,
            "hash": "0x" + ruleset.content_hash().hex(),
            "description": ruleset.description,
            "categories": list(ruleset.categories),
            "terms": ruleset.terms,
        },
        "vocabulary": {
            "evaluator_kinds": list(KIND_NAMES),
            "kind_roles": {KIND_NAMES[k]: role for k, role in KIND_ROLES.items()},
            "category_kinds": list(CATEGORY_KINDS),
        },
        "token": {"symbol": "CCR", "decimals": 18},
        "siwe": {"domain": services.settings.siwe_domain, "uri": services.settings.siwe_uri},
        "wallet_rpc_urls": wallet_rpc_urls(services.settings),
    }


def wallet_rpc_urls(settings: Settings) -> list[str]:
    """What a wallet adds the network with: the operator's public RPC URL, else this gateway's
    read-only ``/rpc`` window. Never the node the gateway itself uses (``CREDIT_CHAIN``): that
    URL may carry credentials and names an internal address (issue 14, finding 10)."""
    if settings.public_rpc_url:
        return [settings.public_rpc_url]
    gateway = urlsplit(settings.siwe_uri)  # the gateway's public origin, without userinfo etc.
    host = gateway.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if gateway.port is not None:
        netloc += f":{gateway.port}"
    path = gateway.path.rstrip("/") + "/rpc"
    return [urlunsplit((gateway.scheme, netloc, path, "", ""))]
