"""What a client needs to talk to this ledger: chain, contracts, EIP-712 domain and types, rules."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from credit.chain.eip712 import DOMAIN_NAME, DOMAIN_VERSION, TYPES
from credit.gateway.deps import ServicesDep

router = APIRouter(tags=["config"])


@router.get("/config")
def client_config(services: ServicesDep) -> dict[str, Any]:
    """Chain id, contract addresses, the EIP-712 domain and types, and the rule set's categories."""
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
            "types": TYPES,
        },
        "epoch": {"length_seconds": int(length), "genesis": int(genesis)},
        "rules": {
            "label": ruleset.label,
            "hash": "0x" + ruleset.content_hash().hex(),
            "description": ruleset.description.model_dump(),
            "categories": [
                {
                    "id": c.id,
                    "key": c.key,
                    "title": c.title.model_dump(),
                    "unit": c.unit.model_dump(),
                    "points_per_unit": c.points_per_unit,
                    "max_units": c.max_units,
                    "cap_per_epoch": c.cap_per_epoch,
                    "negative": c.negative,
                    "automated": c.automated,
                    "confirmation": c.confirmation.model_dump(),
                }
                for c in ruleset.categories
            ],
            "terms": ruleset.terms.model_dump(mode="json"),
        },
        "token": {"symbol": "CCR", "decimals": 18},
        "siwe": {"domain": services.settings.siwe_domain, "uri": services.settings.siwe_uri},
        # what a wallet needs to add this network: the node itself, or this gateway's read-only
        # JSON-RPC window onto the embedded chain
        "wallet_rpc_urls": [
            services.settings.chain
            if services.settings.chain.startswith("http")
            else services.settings.siwe_uri.rstrip("/") + "/rpc"
        ],
    }
